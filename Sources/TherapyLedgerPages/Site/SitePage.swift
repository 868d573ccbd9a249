/// Who is looking at a served page: shown in its header, and the CSRF value its forms carry.
public struct PageViewer: Sendable, Hashable {
    public var name: String
    public var role: String
    /// The session's CSRF value: every POST form carries it in a hidden `csrf` input.
    public var csrf: String

    public init(name: String, role: String, csrf: String) {
        self.name = name
        self.role = role
        self.csrf = csrf
    }
}

/// The frame of every page `therapy-ledger serve` answers: the linked style sheet and script, a header
/// with the signed-in user, the role and a sign-out form, one `<h1>`, then `<main>`.
public enum SitePage {
    /// Where the server serves the one style sheet and the one script.
    public static let stylesheetPath = "/assets/pages.css"
    public static let scriptPath = "/assets/pages.js"

    /// A whole page. `subtitle` writes what follows the `<h1>` in the header (nil: nothing); `main` the content.
    public static func render(title: String, heading: String, viewer: PageViewer?, notice: String? = nil,
                              subtitle: ((inout HTMLBuilder) -> Void)? = nil, _ main: (inout HTMLBuilder) -> Void) -> String {
        PageDocument.render(title: "\(title) · TherapyLedger", assets: .linked(stylesheet: stylesheetPath, script: scriptPath)) { b in
            b.element("header", [("class", "page site")]) { b in
                b.element("div", [("class", "site-bar")]) { b in
                    b.element("nav", [("aria-label", "Site")]) { b in
                        b.element("a", [("href", "/"), ("class", "site-name")], text: "TherapyLedger")
                        if viewer != nil {
                            b.text(" · ")
                            b.element("a", [("href", "/")], text: "Worklist")
                        }
                    }
                    if let viewer {
                        b.element("p", [("class", "viewer")]) { b in
                            b.text("Signed in as ")
                            b.element("strong", [("id", "viewer-name")], text: viewer.name)
                            b.text(" (")
                            b.element("span", [("id", "viewer-role")], text: viewer.role)
                            b.text(")")
                        }
                        b.element("form", [("id", "sign-out"), ("method", "post"), ("action", "/sign-out")]) { b in
                            csrfInput(&b, viewer)
                            b.element("button", [("type", "submit")], text: "Sign out")
                        }
                    }
                }
                b.newline()
                b.element("h1", text: heading)
                if let subtitle { subtitle(&b) }
            }
            b.newline()
            b.element("main", [("id", "main")]) { b in
                if let notice { b.element("p", [("id", "notice"), ("class", "notice"), ("role", "status")], text: notice) }
                main(&b)
            }
        }
    }

    /// The hidden input that binds a form to the session.
    public static func csrfInput(_ b: inout HTMLBuilder, _ viewer: PageViewer) {
        b.empty("input", [("type", "hidden"), ("name", "csrf"), ("value", viewer.csrf)])
    }
}
