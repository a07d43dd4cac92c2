// A child's stdout and stderr as whole lines, handed to the supervisor: with the live display on, it
// prints them above the block (observability/progress.ts), never into the middle of it (issue 19).
export type ChildStream = 'stdout' | 'stderr';

/** Where a child's output goes: each call one or more whole lines, each ending in '\n'. */
export type ChildOutput = (stream: ChildStream, lines: string) => void;

/** The supervisor's own stream, as it is. */
export const passThrough: ChildOutput = (stream, lines) => {
  process[stream].write(lines);
};

// A line longer than this without its newline is let through in pieces rather than held without bound.
const MAX_HELD_CHARS = 64 * 1024;

/** Whole lines out of a stream's chunks: what follows the last newline waits for the next chunk, or the end. */
export class LineBuffer {
  private held = '';

  push(chunk: string): string {
    const text = this.held + chunk;
    const end = text.lastIndexOf('\n') + 1;
    this.held = text.slice(end);
    if (this.held.length <= MAX_HELD_CHARS) return text.slice(0, end);
    this.held = '';
    return `${text}\n`;
  }

  /** The rest at the stream's end, ended with a newline so the next line starts on a row of its own. */
  end(): string {
    const rest = this.held;
    this.held = '';
    return rest === '' ? '' : `${rest}\n`;
  }
}
