/// The sign-in form: a user name and the token `therapy-ledger users add` printed.
public enum SignInPage {
    /// `error`: why the last attempt failed (shown in `#sign-in-error`); `next`: where to go after signing in.
    public static func render(user: String = "", error: String? = nil, next: String? = nil) -> String {
        SitePage.render(title: "Sign in", heading: "Sign in", viewer: nil) { b in
            b.element("section", [("class", "card sign-in"), ("aria-labelledby", "sign-in-heading")]) { b in
                b.element("h2", [("id", "sign-in-heading")], text: "Sign in with your user name and token")
                if let error { b.element("p", [("id", "sign-in-error"), ("class", "form-error"), ("role", "alert")], text: error) }
                b.element("form", [("method", "post"), ("action", "/sign-in"), ("class", "stacked")]) { b in
                    if let next { b.empty("input", [("type", "hidden"), ("name", "next"), ("value", next)]) }
                    b.element("div", [("class", "field")]) { b in
                        b.element("label", [("for", "user")], text: "User")
                        b.empty("input", [("id", "user"), ("name", "user"), ("type", "text"), ("value", user), ("required", ""),
                                          ("autocomplete", "username"), ("autocapitalize", "none"), ("spellcheck", "false")])
                    }
                    b.element("div", [("class", "field")]) { b in
                        b.element("label", [("for", "token")], text: "Token")
                        b.empty("input", [("id", "token"), ("name", "token"), ("type", "password"), ("required", ""), ("autocomplete", "current-password")])
                    }
                    b.element("button", [("type", "submit")], text: "Sign in")
                }
                b.element("p", [("class", "hint")],
                          text: "An administrator creates your user with `therapy-ledger users add NAME --role ROLE`, which prints the token once.")
            }
        }
    }
}
