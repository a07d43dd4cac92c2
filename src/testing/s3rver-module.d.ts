// The slice of s3rver 3.x (a CommonJS module without types) that src/testing/s3rver.ts uses.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  import type { Server } from 'node:http';

  namespace S3rver {
    interface Options {
      address?: string;
      port?: number;
      silent?: boolean;
      directory?: string;
      resetOnClose?: boolean;
      vhostBuckets?: boolean;
      configureBuckets?: { name: string; configs?: string[] }[];
    }

    /** The Koa context fields the multipart extensions read and write. */
    interface Context {
      method: string;
      path: string;
      query: Record<string, string | string[] | undefined>;
      status: number;
      body: unknown;
      type: string;
      /** A request header (Koa's ctx.get), '' when absent. */
      get(field: string): string;
    }

    type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void>;
  }

  class S3rver {
    constructor(options?: S3rver.Options);
    middleware: S3rver.Middleware[];
    httpServer: Server | undefined;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
  export = S3rver;
}
