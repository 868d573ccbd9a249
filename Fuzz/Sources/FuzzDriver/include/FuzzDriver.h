// The entry points SwiftPM links executables through (`main` is aliased to `MODULE_main` on ELF), forwarding to
// libFuzzer's driver: with -parse-as-library no Swift `main` exists, so these stand in for it.
#pragma once
