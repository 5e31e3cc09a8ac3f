// NodeSpec validation for POST /nodes/{id}/update: the body's types and enums (Role, Availability).
// Rules that depend on the stored node (promotion, demotion) live with the route.

import type { NodeSpec } from '../../types/index.js';
import { schemaChecker } from './schema-check.js';
import { nodeSpecSchema } from './spec-schemas.js';

/** validateNodeSpec checks a request body and returns the cleaned spec; throws InvalidArgumentError. */
export const validateNodeSpec = schemaChecker<NodeSpec>('NodeSpec', nodeSpecSchema);
