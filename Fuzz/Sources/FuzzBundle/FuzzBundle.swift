import TherapyLedgerStore

/// libFuzzer entry: bytes through the bundle reader `sync import` uses (header, heads, recorded events).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundle(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? UntrustedInput.bundle(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
