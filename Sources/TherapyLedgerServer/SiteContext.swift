import Hummingbird
import NIOCore

/// The request context of the site server: the client's address, for the access log and rate limiting.
public struct SiteContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's IP address, if known.
    public let remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are collected by the handlers themselves, against ``SiteServer/maxBodyBytes``.
    public var maxUploadSize: Int { SiteServer.maxBodyBytes }
}
