extension BundleHeader {
    /// The longest header line read, in bytes. A header names every origin site's key and two clocks:
    /// a few hundred bytes a site, so a megabyte holds thousands of sites.
    public static let maxHeaderBytes = 1 << 20
    /// The longest event or head line read after the header, in bytes: a recorded event is a submission
    /// (at most ``Submission/Limits/maxLineBytes``) plus its recording fields and clock.
    public static let maxLineBytes = 1 << 20
}
