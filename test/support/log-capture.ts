/**
 * Captures what the app writes to stdout (nestjs-pino's JSON lines).
 * Start it BEFORE createTestApp: pino writes through process.stdout only when
 * process.stdout.write has been replaced by the time the logger is made (otherwise it
 * opens file descriptor 1 directly, which no spy can see).
 */
export interface LogCapture {
  /** Everything written since the last clear(). */
  text(): string;
  clear(): void;
  restore(): void;
}

export function captureStdout(): LogCapture {
  let chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const callback = rest.find((r): r is () => void => typeof r === 'function');
    if (callback) callback();
    return true;
  }) as typeof process.stdout.write);
  return {
    text: () => chunks.join(''),
    clear: () => {
      chunks = [];
    },
    restore: () => spy.mockRestore(),
  };
}
