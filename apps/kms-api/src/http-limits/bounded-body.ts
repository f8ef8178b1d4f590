import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The body is larger than the endpoint accepts: answer 413; the connection closes after the answer. */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The request body exceeds the maximum of ${maxBytes} bytes.`);
    this.name = 'BodyTooLargeError';
  }
}

/** The client went away (or the request timed out) before the body was complete: nobody is left to answer. */
export class BodyAbortedError extends Error {
  constructor() {
    super('The request body could not be read: the connection was closed before it was complete.');
    this.name = 'BodyAbortedError';
  }
}

/**
 * How long a refused upload's connection stays half-closed after the answer (the answer and a FIN sent, nothing
 * more read) before it is destroyed. A client still uploading reads the answer in the meantime; destroying the
 * socket at once, with unread bytes in its receive buffer, sends a TCP reset that may overtake the answer.
 */
export const LINGER_AFTER_REFUSAL_MS = 2000;

const lingering = new WeakSet<Socket>();
const stopped = new WeakSet<IncomingMessage>();

/** The Content-Length the client declared, when it declared one (Node's parser has already refused malformed ones). */
function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined || request.headers['transfer-encoding'] !== undefined) return undefined;
  const value = Number(header);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Reads the body's exact bytes, at most `maxBytes` of them. A body declared larger is refused before a byte of
 * it is read; a chunked body as soon as it passes the limit. Either way the rest of the upload is never read:
 * the answer goes out with `Connection: close` and the socket is closed shortly after it (stopReading).
 */
export function readBoundedBody(request: IncomingMessage, maxBytes: number, response?: ServerResponse): Promise<Buffer> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > maxBytes) {
    stopReading(request, response);
    return Promise.reject(new BodyTooLargeError(maxBytes));
  }
  if (request.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      cleanup();
      chunks.length = 0;
      stopReading(request, response);
      reject(new BodyTooLargeError(maxBytes));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = () => {
      cleanup();
      reject(new BodyAbortedError());
    };
    // 'close' before 'end': the client aborted, or the server's request timeout destroyed the connection.
    const onClose = () => {
      if (request.complete) return;
      cleanup();
      reject(new BodyAbortedError());
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

/**
 * Stops reading a request whose body will not be used, without losing the answer: the answer is sent with
 * `Connection: close` (when its headers are not sent yet; otherwise the connection is closed once it is flushed),
 * then the socket is half-closed and destroyed LINGER_AFTER_REFUSAL_MS later without reading another byte (a
 * "lingering close", as nginx and Apache do). Node's default instead is to read the body to its end (req._dump)
 * so that the connection can be kept alive: a 200 MB upload would be read whole.
 */
export function stopReading(request: IncomingMessage, response = (request as { res?: ServerResponse }).res): void {
  if (stopped.has(request)) return;
  stopped.add(request);
  const closeByHeader = !!response && !response.headersSent;
  if (closeByHeader) response.setHeader('Connection', 'close');
  request.pause();
  // Drops what is buffered and marks the body as consumed by us (IncomingMessage._read), so that Node does not
  // dump it once the answer is sent; the socket then reads at most one more buffer before back-pressure stops it.
  // (read(0) is not enough: with a full buffer it does not reach _read.)
  request.read();
  // An abort after the answer is expected, not an error worth an 'error' event without a listener.
  request.on('error', () => undefined);
  const socket = request.socket;
  if (!socket) return;
  lingerAfterAnswer(socket);
  if (response && !closeByHeader) {
    // The answer went out as keep-alive: Node will not close the connection, so it is closed once flushed.
    if (response.writableFinished) socket.destroySoon();
    else response.once('finish', () => socket.destroySoon());
  }
}

/**
 * Node ends a `Connection: close` response with socket.destroySoon(): a FIN, then destroy() as soon as the FIN is
 * written. Destroying a socket that still has unread bytes sends a reset, which can reach a client that is still
 * uploading before it has read the answer; the FIN is sent at once, the destroy waits for the linger period.
 */
function lingerAfterAnswer(socket: Socket): void {
  if (lingering.has(socket)) return;
  lingering.add(socket);
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.writable) this.end();
    if (this.destroyed) return;
    const timer = setTimeout(() => this.destroy(), LINGER_AFTER_REFUSAL_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}

/**
 * For answers given before the body was read at all (an unknown X-Amz-Target or route, refused before any
 * reader runs): when the answer completes while the request's body is still arriving, and that body is chunked
 * or declared larger than `maxBytes`, the connection is closed after the answer (stopReading) instead of the body
 * being read to its end. A small declared body is still read off, keeping the connection usable.
 */
export function closeInsteadOfDraining(request: IncomingMessage, response: ServerResponse, maxBytes: number): void {
  // A declared length never changes: within the limit, the body is always read off, so nothing to watch (this is
  // every request of a well-behaved client, and the hooks below cost each one a closure and a listener).
  const declared = declaredLength(request);
  if (declared !== undefined && declared <= maxBytes) return;
  const wontBeRead = () => {
    if (request.complete || request.readableEnded || request.destroyed) return false;
    return declared === undefined || declared > maxBytes;
  };
  // The answer must say the connection closes: by 'prefinish' its headers are already out, and a client told
  // keep-alive would send its next request on a socket that is about to be closed under it.
  const writeHead = response.writeHead;
  response.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (!this.headersSent && wontBeRead()) this.setHeader('Connection', 'close');
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
  // 'prefinish' comes before Node's own 'finish' handler, which would start the draining.
  response.once('prefinish', () => {
    if (wontBeRead()) stopReading(request, response);
  });
}
