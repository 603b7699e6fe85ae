/** An error raised by loomrnn's native code; `code` says what kind (EINVAL, ENOMEM, ...). */
export class LoomError extends Error {
  readonly code: string;

  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LoomError';
    this.code = code;
  }
}
