// memfix harness: upstream-build has no sanitizer scenario. What it fixes is
// that upstream's own code does not compile in upstream's build (ABI 3, the
// disk_io_constructor lambda); its proof is the compile step of memfix verify
// (the tree's header and glue compiled with the flags of its own Makefile) and
// test/upstream-build.test.ts, not a run of this program. The file exists so
// that every fix has its harness file (test/conventions.test.ts).
