/// A refusal or a failure as a real page: what happened, what to do, and a way on (the worklist, or signing out).
public enum ErrorPage {
    public static func render(status: Int, heading: String, message: String, viewer: PageViewer?) -> String {
        SitePage.render(title: "\(status) \(heading)", heading: heading, viewer: viewer) { b in
            b.element("section", [("class", "card problem"), ("aria-labelledby", "problem-heading")]) { b in
                b.element("h2", [("id", "problem-heading")], text: "Error \(status)")
                b.element("p", [("id", "problem-detail")], text: message)
                b.element("p") { b in
                    if let viewer {
                        if viewer.role == "clinician" || viewer.role == "auditor" {
                            b.element("a", [("href", "/")], text: "Back to the worklist")
                        } else {
                            b.text("Use the sign-out button above to sign in as another user.")
                        }
                    } else {
                        b.element("a", [("href", "/sign-in")], text: "Sign in")
                    }
                }
            }
        }
    }
}
