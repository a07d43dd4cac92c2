// Decoder for the aws-chunked request body framing (SigV4 streaming and unsigned trailers):
//   <hex size>[;chunk-signature=…]\r\n<bytes>\r\n … 0[;…]\r\n[<trailer>: <value>\r\n]*\r\n
// Fed the raw body chunk by chunk; hands the payload bytes to `onData` without buffering them, so the
// sink holds at most one framing line at a time whatever the part size.

type State = 'size' | 'data' | 'data-crlf' | 'trailers' | 'done';

export class AwsChunkedDecoder {
  private state: State = 'size';
  private line = '';
  private left = 0;
  private crlfLeft = 0;

  constructor(private readonly onData: (bytes: Buffer) => void) {}

  get finished(): boolean {
    return this.state === 'done';
  }

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'size':
        case 'trailers': {
          const nl = chunk.indexOf(0x0a, i);
          const end = nl === -1 ? chunk.length : nl;
          this.line += chunk.toString('latin1', i, end);
          if (this.line.length > 4096) throw new Error('aws-chunked: framing line too long');
          i = end;
          if (nl === -1) break;
          i = nl + 1;
          const line = this.line.replace(/\r$/, '');
          this.line = '';
          if (this.state === 'trailers') {
            if (line === '') this.state = 'done';
            break;
          }
          const size = Number.parseInt(line.split(';')[0] ?? '', 16);
          if (!Number.isFinite(size) || size < 0) throw new Error(`aws-chunked: bad chunk size line "${line.slice(0, 40)}"`);
          if (size === 0) {
            this.state = 'trailers';
          } else {
            this.left = size;
            this.state = 'data';
          }
          break;
        }
        case 'data': {
          const take = Math.min(this.left, chunk.length - i);
          this.onData(chunk.subarray(i, i + take));
          this.left -= take;
          i += take;
          if (this.left === 0) {
            this.state = 'data-crlf';
            this.crlfLeft = 2;
          }
          break;
        }
        case 'data-crlf': {
          const take = Math.min(this.crlfLeft, chunk.length - i);
          this.crlfLeft -= take;
          i += take;
          if (this.crlfLeft === 0) this.state = 'size';
          break;
        }
        case 'done':
          // Anything after the final blank line is ignored (there should be nothing).
          i = chunk.length;
          break;
      }
    }
  }
}
