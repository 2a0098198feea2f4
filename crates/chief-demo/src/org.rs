//! The fictional org: people, channels, repositories, the Jira project, the calendar.

pub const ME_NAME: &str = "Maya Chen";
pub const ME_EMAIL: &str = "maya.chen@kestrel.example";
pub const ME_SLACK: &str = "U01MAYA";
pub const ME_GITHUB: &str = "mayachen";

pub const DOMAIN: &str = "kestrel.example";
pub const SLACK_URL: &str = "https://kestrel.slack.com";
pub const JIRA_URL: &str = "https://kestrel.atlassian.net";
pub const GITHUB_ORG: &str = "kestrel";

/// A member of the org.
pub struct Person {
    pub slack: &'static str,
    pub name: &'static str,
    pub handle: &'static str,
    pub title: &'static str,
    pub github: Option<&'static str>,
    pub jira: &'static str,
}

impl Person {
    pub fn email(&self) -> String {
        format!("{}@{DOMAIN}", self.handle)
    }
}

/// A Slack channel.
pub struct Channel {
    pub id: &'static str,
    pub name: &'static str,
    pub purpose: &'static str,
    /// Indexes into `Org::people` of its regular posters.
    pub members: &'static [usize],
}

pub struct Org {
    pub people: Vec<Person>,
    pub channels: Vec<Channel>,
}

// Indexes into `people`, for readability in the stories.
pub const MAYA: usize = 0;
pub const RAVI: usize = 1;
pub const SOFIA: usize = 2;
pub const TOM: usize = 3;
pub const AISHA: usize = 4;
pub const LIAM: usize = 5;
pub const HANA: usize = 6;
pub const DIEGO: usize = 7;
pub const PRIYA: usize = 8;
pub const JONAS: usize = 9;
pub const EMMA: usize = 10;
pub const KENJI: usize = 11;
pub const NOAH: usize = 12;
pub const CHLOE: usize = 13;
pub const MAX: usize = 14;

// Indexes into `channels`.
pub const GENERAL: usize = 0;
pub const ENGINEERING: usize = 1;
pub const INCIDENTS: usize = 2;
pub const PAYMENTS: usize = 3;
pub const PLATFORM: usize = 4;
pub const WEBAPP: usize = 5;
pub const BRAND: usize = 6;
pub const RANDOM: usize = 7;

pub const DM_NOAH_MAYA: &str = "D01NOAHMAYA";

pub const BOT_DEPLOY: (&str, &str) = ("B01DEPLOY", "deploybot");
pub const BOT_PAGER: (&str, &str) = ("B02PAGER", "PagerDuty");

pub const REPO_PAYMENTS: &str = "kestrel/payments-api";
pub const REPO_WEB: &str = "kestrel/web-app";

pub const JIRA_PROJECT: (&str, &str) = ("PAY", "Payments");
pub const CALENDAR_ID: &str = "maya.chen@kestrel.example";

impl Org {
    pub fn build() -> Org {
        let p = |slack, name, handle, title, github, jira| Person { slack, name, handle, title, github, jira };
        let people = vec![
            p(ME_SLACK, ME_NAME, "maya.chen", "Director of Engineering", Some(ME_GITHUB), "712020:maya"),
            p("U02RAVI", "Ravi Patel", "ravi.patel", "Engineering Manager, Payments", Some("ravip"), "712020:ravi"),
            p("U03SOFIA", "Sofia Alvarez", "sofia.alvarez", "Staff SRE", Some("salvarez"), "712020:sofia"),
            p("U04TOM", "Tom Becker", "tom.becker", "Senior Backend Engineer, Payments", Some("tbecker"), "712020:tom"),
            p(
                "U05AISHA",
                "Aisha Okafor",
                "aisha.okafor",
                "Backend Engineer, Payments",
                Some("aokafor"),
                "712020:aisha",
            ),
            p("U06LIAM", "Liam O'Connor", "liam.oconnor", "Frontend Engineer, Web", Some("liamoc"), "712020:liam"),
            p("U07HANA", "Hana Kim", "hana.kim", "Product Manager, Payments", None, "712020:hana"),
            p(
                "U08DIEGO",
                "Diego Santos",
                "diego.santos",
                "Engineering Manager, Platform",
                Some("dsantos"),
                "712020:diego",
            ),
            p("U09PRIYA", "Priya Nair", "priya.nair", "Platform Engineer", Some("priyan"), "712020:priya"),
            p("U10JONAS", "Jonas Weber", "jonas.weber", "Brand Designer", None, "712020:jonas"),
            p("U11EMMA", "Emma Rossi", "emma.rossi", "Head of Marketing", None, "712020:emma"),
            p("U12KENJI", "Kenji Watanabe", "kenji.watanabe", "Data Engineer", Some("kenjiw"), "712020:kenji"),
            p("U13NOAH", "Noah Fischer", "noah.fischer", "VP Engineering", Some("nfischer"), "712020:noah"),
            p("U14CHLOE", "Chloe Martin", "chloe.martin", "People Partner", None, "712020:chloe"),
            p("U15MAX", "Max Hollis", "max.hollis", "Contractor, Security Audit", None, "712020:max"),
        ];
        let channels = vec![
            Channel {
                id: "C01GENERAL",
                name: "general",
                purpose: "Company-wide announcements",
                members: &[MAYA, NOAH, CHLOE, EMMA, RAVI, DIEGO, HANA, KENJI],
            },
            Channel {
                id: "C02ENG",
                name: "engineering",
                purpose: "Engineering-wide discussion, deploys and RFCs",
                members: &[MAYA, NOAH, RAVI, DIEGO, SOFIA, TOM, AISHA, LIAM, PRIYA, KENJI],
            },
            Channel {
                id: "C03INCIDENTS",
                name: "incidents",
                purpose: "Active incidents. Post updates in threads.",
                members: &[SOFIA, TOM, RAVI, PRIYA, DIEGO, MAYA],
            },
            Channel {
                id: "C04PAYENG",
                name: "payments-eng",
                purpose: "Payments team: checkout, refunds, ledger",
                members: &[RAVI, TOM, AISHA, HANA, SOFIA],
            },
            Channel {
                id: "C05PLATFORM",
                name: "platform",
                purpose: "Platform team: infra, CI, Kubernetes, Terraform",
                members: &[DIEGO, PRIYA, SOFIA, KENJI],
            },
            Channel {
                id: "C06WEBAPP",
                name: "web-app",
                purpose: "The customer web app",
                members: &[LIAM, HANA, TOM, AISHA],
            },
            Channel {
                id: "C07BRAND",
                name: "brand-refresh",
                purpose: "Marketing x Design: the 2027 brand refresh",
                members: &[JONAS, EMMA, CHLOE],
            },
            Channel {
                id: "C08RANDOM",
                name: "random",
                purpose: "Non-work banter",
                members: &[KENJI, LIAM, PRIYA, AISHA, CHLOE, TOM, MAX],
            },
        ];
        Org { people, channels }
    }
}
