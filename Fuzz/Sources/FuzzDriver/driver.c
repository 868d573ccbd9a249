#include <stddef.h>
#include <stdint.h>
#include "FuzzDriver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

static int run(int argc, char **argv) { return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput); }

int FuzzSubmission_main(int argc, char **argv) { return run(argc, argv); }
int FuzzBundle_main(int argc, char **argv) { return run(argc, argv); }
int FuzzHeads_main(int argc, char **argv) { return run(argc, argv); }
