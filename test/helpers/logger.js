// A Vite `customLogger` that keeps what a test asserts on: info lines, and warnings
// (errors too, when a test insists on none) instead of printing them.

/** @param {{ keepErrors?: boolean }} [options] */
export function capturingLogger({ keepErrors = false } = {}) {
  const infos = []
  const warnings = []
  const ignore = () => {}
  const keep = (list) => (msg) => {
    list.push(msg)
  }
  return {
    infos,
    warnings,
    logger: {
      info: keep(infos),
      warn: keep(warnings),
      warnOnce: keep(warnings),
      error: keepErrors ? keep(warnings) : ignore,
      clearScreen: ignore,
      hasErrorLogged: () => false,
      hasWarned: false,
    },
  }
}
