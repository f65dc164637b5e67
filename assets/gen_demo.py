#!/usr/bin/env python3
"""Writes assets/demo.json, the demo organization that `orgdeck --demo` loads.

Deterministic (fixed seed): run it again after changing it and commit both files.
"""
import json
import os
import random

rng = random.Random(20261128)
DOMAIN = "northwind.example"

FIRST = ["Ada", "Bruno", "Chen", "Dalia", "Emeka", "Fatima", "Gustav", "Hana", "Ivan", "Jana", "Kofi",
         "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tomoko", "Uma", "Viktor",
         "Wen", "Ximena", "Yusuf", "Zofia", "Aiko", "Bjorn", "Carmen", "Dmitri", "Elif", "Farid", "Greta",
         "Hiro", "Ines", "Jonas", "Kira", "Luca", "Mira", "Nils"]
LAST = ["Lovelace", "Silva", "Wei", "Haddad", "Okafor", "Rahman", "Berg", "Kim", "Petrov", "Novak",
        "Mensah", "Fischer", "Garcia", "Aziz", "Khalil", "Sharma", "Dubois", "Moreno", "Larsen", "Sato",
        "Iyer", "Horvath", "Zhang", "Ortega", "Demir", "Kowalski", "Tanaka", "Andersen", "Ruiz", "Volkov"]

APPS = [("payments-api", "java"), ("checkout-web", "node"), ("ledger-service", "java"), ("fraud-scoring", "python"),
        ("customer-portal", "dotnet"), ("mobile-gateway", "go"), ("inventory-sync", "java"), ("search-indexer", "python"),
        ("auth-service", "go"), ("notification-hub", "node"), ("reporting-engine", "java"), ("partner-api", "ruby"),
        ("billing-batch", "java"), ("admin-console", "node"), ("pricing-rules", "python"), ("shipping-tracker", "dotnet"),
        ("loyalty-points", "java"), ("catalog-service", "go"), ("document-store", "python"), ("kyc-verifier", "java"),
        ("support-desk", "php"), ("data-exporter", "python")]
ENVS = ["production", "qa", "development"]


def user(first, last, role, status="active", api_only=False):
    email = f"{first.lower()}.{last.lower()}@{DOMAIN}"
    days = None if status == "pending" else rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 21, 34, 60, 120])
    return {
        "email": email, "first_name": first, "last_name": last, "default_group": role,
        "enabled": status != "disabled", "api_only": api_only, "status": status,
        "last_login_days_ago": days,
        "last_login_ip": None if days is None else f"203.0.113.{rng.randint(2, 250)}",
    }


# What each application's vulnerabilities and libraries look like, so that the default score settings give
# every grade (A to F) across the demo: (open custom-code findings by severity, libraries as
# (years behind, versions behind, highest CVSS or None)).
PROFILES = {
    "A": ({"low": 1}, [(0, 0, None), (0.5, 0, None)]),
    "B": ({"high": 1, "medium": 2}, [(0.6, 1, None), (0, 0, None)]),
    "C": ({"critical": 1, "high": 1, "medium": 1}, [(2.0, 1, None), (1.0, 0, None)]),
    "D": ({"critical": 1, "high": 2, "medium": 1, "low": 4}, [(3.0, 1, 1.5), (1.0, 1, None)]),
    "F": ({"critical": 3, "high": 2, "medium": 3}, [(6.0, 4, 9.8), (2.0, 1, 7.5)]),
}
RULES = [("sql-injection", "SQL injection in {route}", "POST /api/orders/search"),
         ("xss-reflected", "Reflected cross-site scripting in {route}", "GET /search"),
         ("path-traversal", "Path traversal in {route}", "GET /files/{id}"),
         ("cmd-injection", "Command injection in {route}", "POST /admin/export"),
         ("crypto-bad-mac", "Weak hash algorithm (MD5) used in {route}", "POST /login"),
         ("ssrf", "Server-side request forgery in {route}", "POST /webhooks/test"),
         ("untrusted-deserialization", "Untrusted deserialization in {route}", "POST /api/import"),
         ("cookie-flags", "Session cookie without Secure flag at {route}", "GET /"),
         ("csrf", "Cross-site request forgery at {route}", "POST /account/email")]
LIBS = [("org.apache.logging.log4j:log4j-core", "2.14.1", "2.24.3", ["CVE-2021-44228"]),
        ("com.fasterxml.jackson.core:jackson-databind", "2.9.10", "2.18.2", ["CVE-2020-36518"]),
        ("lodash", "4.17.15", "4.17.21", ["CVE-2020-8203"]),
        ("requests", "2.25.0", "2.32.3", ["CVE-2023-32681"]),
        ("org.springframework:spring-web", "5.3.18", "6.2.1", ["CVE-2016-1000027"]),
        ("express", "4.17.1", "4.21.2", ["CVE-2024-29041"]),
        ("golang.org/x/net", "0.17.0", "0.33.0", ["CVE-2023-44487"]),
        ("Newtonsoft.Json", "12.0.3", "13.0.3", ["CVE-2024-21907"])]
NOTE_AUTHORS = ["Priya Sharma", "Jonas Berg", "Security Champions"]


def findings(apps):
    """Adds vulnerabilities (open ones by the profile, plus closed ones for the reports' status filter) and
    libraries to each application, from a generator of their own (the rest of the file keeps its values)."""
    r = random.Random(20261205)
    for i, app in enumerate(apps):
        grade = "ABCDF"[i % 5]
        counts, libs = PROFILES[grade]
        vulns = []
        n = 0
        for severity in ("critical", "high", "medium", "low"):
            for _ in range(counts.get(severity, 0)):
                rule, title, route = RULES[(i + n) % len(RULES)]
                vulns.append({"title": title.format(route=route), "severity": severity, "rule": rule,
                              "route": route, "status": r.choice(["reported", "reported", "confirmed", "suspicious"]),
                              "days_ago": r.randint(1, 120), "notes": []})
                n += 1
        # Closed findings: what a report of fixed or dismissed vulnerabilities lists; no score counts them.
        for status in ("fixed", "not_a_problem", "remediated")[: 1 + i % 3]:
            rule, title, route = RULES[(i + n) % len(RULES)]
            vulns.append({"title": title.format(route=route), "severity": r.choice(["high", "medium", "low"]),
                          "rule": rule, "route": route, "status": status, "days_ago": r.randint(30, 300),
                          "notes": []})
            n += 1
        if i % 2 == 0:
            vulns.append({"title": "Stack trace disclosed in error page", "severity": "note", "rule": "stacktrace-disclosure",
                          "route": "GET /error", "status": "reported", "days_ago": r.randint(1, 60), "notes": []})
        for v in vulns[: 2]:
            v["notes"].append({"author": r.choice(NOTE_AUTHORS),
                               "text": r.choice(["Reproduced on staging; fix planned for the next sprint.",
                                                 "Input reaches the query unescaped; parameterize it.",
                                                 "Mitigated by the WAF rule until the release ships."])})
        libraries = []
        for k, (years, behind, cvss) in enumerate(libs):
            name, version, latest, cves = LIBS[(i + k) % len(LIBS)]
            latest_days = r.randint(20, 200)
            libraries.append({"name": name, "version": version if behind or years else latest,
                              "latest_version": latest, "released_days_ago": latest_days + int(years * 365.25),
                              "latest_released_days_ago": latest_days, "versions_behind": behind,
                              "cves": cves if cvss is not None else [], "cvss": cvss})
        app["vulnerabilities"] = vulns
        app["libraries"] = libraries


def main():
    names = [(f, l) for f in FIRST for l in LAST]
    rng.shuffle(names)
    users = []
    roles = ["view"] * 20 + ["edit"] * 22 + ["rules_admin"] * 6 + ["admin"] * 2
    for i, (first, last) in enumerate(names[:50]):
        status = "active"
        if i in (7, 31):
            status = "locked"
        elif i in (12, 40):
            status = "disabled"
        elif i in (19, 44, 47):
            status = "pending"
        users.append(user(first, last, roles[i], status))
    users.append(user("Build", "Robot", "edit", api_only=True))
    users[-1]["email"] = f"ci-bot@{DOMAIN}"

    apps = []
    for i, (name, lang) in enumerate(APPS):
        apps.append({"name": name, "language": lang, "environment": ENVS[i % 3] if i % 4 else "production",
                     "licensed": i % 5 != 4})
    servers = []
    for i in range(36):
        env = ENVS[i % 3]
        servers.append({"name": f"{env[:4]}-node-{i + 1:02d}", "hostname": f"{env[:4]}-node-{i + 1:02d}.dc1.{DOMAIN}",
                        "environment": env, "agent_version": rng.choice(["4.2.1", "4.2.0", "4.1.7", "4.3.0"]),
                        "licensed": env == "production" or i % 4 == 1})

    findings(apps)
    for i, srv in enumerate(servers):
        srv["language"] = APPS[i % len(APPS)][1]
        # Most agents beat every minute; a few went silent (offline after 15 minutes), one for weeks.
        srv["last_seen_minutes_ago"] = {5: 42, 17: 600, 29: 60 * 24 * 40}.get(i, i % 3)

    emails = [u["email"] for u in users]
    groups = [
        {"name": "Payments Team", "app_access": [{"applications": ["payments-api", "checkout-web", "ledger-service", "billing-batch"], "role": "edit"}],
         "members": emails[0:8]},
        {"name": "Platform Engineering", "app_access": [{"applications": "all", "role": "view"},
                                                         {"applications": ["auth-service", "mobile-gateway", "catalog-service"], "role": "admin"}],
         "members": emails[8:18]},
        {"name": "Security Champions", "app_access": [{"applications": "all", "role": "rules_admin"}], "members": emails[18:24]},
        {"name": "Contractors", "app_access": [{"applications": ["admin-console", "support-desk"], "role": "view"},
                                                {"applications": ["kyc-verifier"], "role": "no_access"}],
         "members": emails[24:30]},
        {"name": "Data Science", "app_access": [{"applications": ["fraud-scoring", "pricing-rules", "data-exporter"], "role": "edit"}],
         "members": emails[30:36]},
    ]

    admin = {"email": f"admin@{DOMAIN}", "first_name": "Morgan", "last_name": "Reyes",
             "password": "demo-admin-password-2026"}

    actions = [
        ("user.update", "user", "Changed default group of {u} from view to edit", [{"field": "default_group", "old": "view", "new": "edit"}]),
        ("user.create", "user", "Added user {u}", []),
        ("user.disable", "user", "Disabled user {u}", [{"field": "enabled", "old": True, "new": False}]),
        ("user.unlock", "user", "Unlocked user {u}", [{"field": "status", "old": "locked", "new": "active"}]),
        ("auth.login", "user", "{u} logged in", []),
        ("auth.login", "user", "{u} logged in", []),
        ("auth.login", "user", "{u} logged in", []),
        ("auth.login_failed", "user", "Failed login for {u}", []),
        ("auth.logout", "user", "{u} logged out", []),
        ("group.update", "group", "Added {u} to Payments Team", [{"field": "members", "old": 7, "new": 8}]),
        ("settings.update", "settings", "Updated password policy", [{"field": "lockout_attempts", "old": 10, "new": 5}]),
        ("settings.update", "settings", "Updated session timeouts", [{"field": "idle_minutes", "old": 30, "new": 20}]),
        ("api_key.rotate", "api_key", "Rotated the organization API key", [{"field": "key", "old": "***", "new": "***"}]),
        ("integration.test", "integration", "Tested Slack channel #appsec-alerts: 200 OK", []),
        ("server.register", "server", "Server {s} registered in production", []),
        ("auth.lockout", "user", "Locked {u} after 10 failed logins", [{"field": "status", "old": "active", "new": "locked"}]),
    ]
    audit = []
    minutes = 5
    for _ in range(320):
        minutes += rng.randint(5, 240)
        action, kind, summary, changes = rng.choice(actions)
        u = rng.choice(users)
        actor = admin["email"] if action not in ("auth.login", "auth.logout") else u["email"]
        if action in ("auth.login_failed", "auth.lockout", "server.register"):
            actor = "system"
        s = rng.choice(servers)["name"]
        target_id = u["email"] if kind == "user" else {"group": "payments-team", "settings": "password_policy",
                                                         "api_key": "organization", "integration": "slack-appsec",
                                                         "server": s}[kind]
        if summary == "Updated session timeouts":
            target_id = "sessions"
        audit.append({"minutes_ago": minutes, "actor_email": actor, "action": action, "target_kind": kind,
                      "target_id": target_id, "ip": None if actor == "system" and action == "server.register" else f"198.51.100.{rng.randint(2, 250)}",
                      "summary": summary.format(u=u["email"], s=s), "changes": changes})

    doc = {
        "organization": {"name": "Northwind Security", "date_format": "yyyy-MM-dd", "time_format": "HH:mm",
                         "timezone": "Europe/Berlin", "created_days_ago": 412},
        "admin": admin,
        "user_password": "demo-user-password-2026",
        "licenses": [
            {"kind": "assess", "count": 20, "expires_in_days": 45},
            {"kind": "assess", "count": 10, "expires_in_days": 230},
            {"kind": "protect", "count": 15, "expires_in_days": 45},
            {"kind": "protect", "count": 25, "expires_in_days": 320},
        ],
        "applications": apps,
        "servers": servers,
        "groups": groups,
        "users": users,
        "audit": audit,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
