import TherapyLedgerStore

/// libFuzzer entry: a submission batch through the parser and per-line validation `append` uses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSubmission(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = UntrustedInput.submissions(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
