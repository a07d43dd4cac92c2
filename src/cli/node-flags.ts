// The V8 flags the supervisor process itself runs with. A process cannot change its own heap limits once
// started (v8.setFlagsFromString is too late for them), so they sit where the process is launched: the
// CLI's shebang (`npx supervisor`, ./dist/src/bundle-supervisor/main.js) and the Dockerfile's ENTRYPOINT, both checked
// against this list by test/k8s-manifests.test.ts (and the shebang's effect by test/e2e-operator.test.ts).
//
// Why: at Node's defaults V8 lets dead listing pages pile up before its first full GC; these two flags keep
// the supervisor's RSS flat however many files it lists (docs/design.md#the-measurements-behind-the-flags). The memory plan's
// reserve holds what the supervisor charges, not this limit.
const OLD_SPACE_MB = 128;
const SEMI_SPACE_MB = 2;
export const SUPERVISOR_NODE_FLAGS: readonly string[] = [`--max-old-space-size=${OLD_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`];

/** The heap limit V8 reports under those flags: old space plus a young generation of three semi-spaces. */
export const SUPERVISOR_HEAP_LIMIT_MB = OLD_SPACE_MB + 3 * SEMI_SPACE_MB;
