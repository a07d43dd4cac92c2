// The V8 flags the supervisor process itself runs with. A process cannot change its own heap limits once
// started (v8.setFlagsFromString is too late for them), so they sit where the process is launched: the
// CLI's shebang (`npx supervisor`, ./dist/src/bundle-supervisor/main.js) and the Dockerfile's ENTRYPOINT, both checked
// against this list by test/k8s-manifests.test.ts (and the shebang's effect by test/e2e-operator.test.ts).
//
// Why: the supervisor's live heap is ~14 MB however many files it lists, but at Node's defaults V8 lets
// a 4 GB-limit heap fill with dead listing pages before its first full GC, and keeps a 32 MB young
// generation: measured, the `plan` of 10 k files peaked at 113 MB RSS and of 100 k at 163 MB. With these
// two flags both stayed at 88-89 MB, at the same listing speed. 128 MB of old space is nine times the
// live heap. The reserve holds what the supervisor is measured to charge (docs/design.md, memory), not
// this limit, which only keeps dead pages from piling up.
const OLD_SPACE_MB = 128;
const SEMI_SPACE_MB = 2;
export const SUPERVISOR_NODE_FLAGS: readonly string[] = [`--max-old-space-size=${OLD_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`];

/** The heap limit V8 reports under those flags: old space plus a young generation of three semi-spaces. */
export const SUPERVISOR_HEAP_LIMIT_MB = OLD_SPACE_MB + 3 * SEMI_SPACE_MB;
