export { portalRoutes, type PortalOptions } from './routes.js';
