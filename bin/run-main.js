// Runs the async `main` of a compiled entry module and ends the process with its outcome: exit code 0, or the error
// printed under `[label]` and exit code 1. Shared by the benchmark entry points.
module.exports = function runMain(label, main) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(`[${label}] failed:`, error && error.stack ? error.stack : error);
      process.exit(1);
    },
  );
};
