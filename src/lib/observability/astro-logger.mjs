// Astro's logger (astro.config.mjs `logger`): inside the server started by scripts/serve.mjs, Astro's
// messages (render errors with their stack included) become JSON lines of the process's logger
// (src/lib/observability/log.ts installs the sink); anywhere else (astro build, astro dev) they are
// printed as Astro prints them. A JavaScript file: Astro loads logger entrypoints without TypeScript.
import nodeLogger from "astro/logger/node";

const SINK = Symbol.for("forum.log");

/** The logger destination. */
export default function forumLogger(config = {}) {
  const fallback = nodeLogger(config);
  return {
    write(event) {
      const sink = globalThis[SINK];
      if (sink) sink.astro(event);
      else fallback.write(event);
    },
  };
}
