// Reading the engine's long responses to their end. Pull and build answer 200 and report failure
// inside the JSON-lines stream ({"error": ...}); the wait endpoint sends its headers at once and
// its body when the container exits. If the engine dies mid-response the stream closes without
// ending, which dockerode never reports: these readers turn that into a connection error.

export interface ProgressMessage {
  status?: string;
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** ProgressError is an error the engine reported inside a progress stream. */
export class ProgressError extends Error {}

function connectionLost(): Error {
  return Object.assign(new Error('the engine closed the connection before the response ended'), { code: 'ECONNRESET' });
}

/** untilEnd settles when a flowing stream ends; a stream cut off rejects with ECONNRESET. */
function untilEnd(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    let ended = false;
    stream.once('error', reject);
    stream.once('end', () => {
      ended = true;
      resolve();
    });
    stream.once('close', () => {
      if (!ended) reject(connectionLost());
    });
  });
}

/** readAll collects a response body. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let body = '';
  stream.on('data', (chunk: Buffer | string) => (body += chunk.toString()));
  await untilEnd(stream);
  return body;
}

/** followProgress reads a JSON-lines stream to its end; rejects with the first error it carries. */
export async function followProgress(stream: NodeJS.ReadableStream): Promise<ProgressMessage[]> {
  const messages: ProgressMessage[] = [];
  let failure: Error | undefined;
  let buffered = '';
  const take = (line: string): void => {
    const text = line.trim();
    if (!text) return;
    let msg: ProgressMessage;
    try {
      msg = JSON.parse(text) as ProgressMessage;
    } catch {
      msg = { stream: text };
    }
    messages.push(msg);
    const error = msg.errorDetail?.message || msg.error;
    if (error && !failure) failure = new ProgressError(error.trim());
  };
  stream.on('data', (chunk: Buffer | string) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    lines.forEach(take);
  });
  try {
    await untilEnd(stream);
  } catch (err) {
    throw failure ?? err;
  }
  take(buffered);
  if (failure) throw failure;
  return messages;
}
