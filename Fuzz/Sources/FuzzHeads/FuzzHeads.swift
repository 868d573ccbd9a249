import TherapyLedgerStore

/// libFuzzer entry: bytes through the heads-file reader `verify --against` uses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHeads(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? UntrustedInput.headsFile(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
