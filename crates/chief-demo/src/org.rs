//! The fictional org: people, channels, repositories, the Jira project, the calendar.
//!
//! Seed 0 is Kestrel, always the same. Every other seed draws a different org from the
//! pools below — names, handles, titles of the user, channel names, the team's domain
//! (its service, worker, product and Jira key), repositories — so that what ranks a
//! story cannot be a name, a channel or a phrase learnt from one org.

use crate::rng::Rng;

/// A member of the org.
#[derive(Debug, Clone)]
pub struct Person {
    pub slack: String,
    pub name: String,
    pub handle: String,
    pub title: String,
    pub github: Option<String>,
    pub jira: String,
    domain: String,
}

impl Person {
    pub fn email(&self) -> String {
        format!("{}@{}", self.handle, self.domain)
    }

    pub fn first(&self) -> &str {
        self.name.split_whitespace().next().unwrap_or(&self.name)
    }
}

/// A Slack channel.
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub purpose: String,
    /// Indexes into `Org::people` of its regular posters.
    pub members: Vec<usize>,
}

/// The team at the centre of the stories: what it owns and how it talks about it.
#[derive(Debug, Clone)]
pub struct Team {
    /// `payments`: channel and purpose words.
    pub name: String,
    /// The service that breaks (`payments-api`).
    pub service: String,
    /// The component whose release breaks it (`refund worker`).
    pub worker: String,
    /// What customers see failing (`checkout`).
    pub product: String,
    /// The Jira project key and name.
    pub jira_key: String,
    pub jira_name: String,
    /// Background service names.
    pub services: Vec<String>,
}

pub struct Org {
    pub seed: u64,
    pub company: String,
    pub domain: String,
    pub slack_url: String,
    pub jira_url: String,
    pub github_org: String,
    pub team: Team,
    pub people: Vec<Person>,
    pub channels: Vec<Channel>,
    /// The DM between the user and their manager.
    pub dm: String,
    pub repo_main: String,
    pub repo_web: String,
    pub calendar_id: String,
}

// Roles: indexes into `people`. The user is always 0; NOAH is the user's manager.
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

pub const BOT_DEPLOY: (&str, &str) = ("B01DEPLOY", "deploybot");
pub const BOT_PAGER: (&str, &str) = ("B02PAGER", "PagerDuty");

const FIRST: &[&str] = &[
    "Amara", "Bruno", "Carmen", "Dmitri", "Elif", "Farah", "Gustavo", "Hiroshi", "Ingrid", "Javier", "Keiko", "Lars",
    "Mei", "Nadia", "Oskar", "Paula", "Quentin", "Rosa", "Samir", "Tanvi", "Ulrich", "Valeria", "Wei", "Ximena",
    "Yusuf", "Zofia", "Andre", "Beatriz", "Chidi", "Daria", "Emeka", "Fatima", "Goran", "Helena", "Idris", "Julia",
    "Kwame", "Lucia", "Mateo", "Nora", "Omar", "Petra", "Rafael", "Sina", "Tariq", "Uma", "Viktor", "Wanjiru", "Yara",
    "Zane",
];
const LAST: &[&str] = &[
    "Adeyemi",
    "Bianchi",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fujita",
    "Gallagher",
    "Haddad",
    "Iqbal",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Oduya",
    "Petrov",
    "Quispe",
    "Romero",
    "Sato",
    "Takahashi",
    "Usman",
    "Varga",
    "Wagner",
    "Xu",
    "Yilmaz",
    "Zhou",
    "Almeida",
    "Brennan",
    "Chowdhury",
    "Demir",
    "Esposito",
    "Fischer",
    "Garcia",
    "Horvat",
    "Ivanova",
    "Kaur",
    "Lopez",
    "Mensah",
    "Novak",
    "Olsen",
    "Park",
    "Rossi",
    "Schmidt",
    "Torres",
];
const COMPANIES: &[&str] =
    &["Heron", "Lumen", "Quarry", "Tidewater", "Vireo", "Basalt", "Corvid", "Fernway", "Juniper", "Marlin", "Osprey"];
const MY_TITLES: &[&str] = &["Director of Engineering", "Head of Engineering", "Senior Engineering Manager"];
const BOSS_TITLES: &[&str] = &["VP Engineering", "CTO", "SVP Engineering"];

struct TeamPool {
    name: &'static str,
    service: &'static str,
    worker: &'static str,
    product: &'static str,
    jira: (&'static str, &'static str),
    services: &'static [&'static str],
}

const TEAMS: &[TeamPool] = &[
    TeamPool {
        name: "orders",
        service: "orders-api",
        worker: "fulfillment worker",
        product: "order placement",
        jira: ("ORD", "Orders"),
        services: &["orders-api", "fulfillment-worker", "inventory", "cart-web", "gateway", "mailer", "search-indexer"],
    },
    TeamPool {
        name: "billing",
        service: "billing-api",
        worker: "invoice worker",
        product: "invoice payment",
        jira: ("BIL", "Billing"),
        services: &[
            "billing-api",
            "invoice-worker",
            "subscriptions",
            "portal-web",
            "edge-proxy",
            "notifier",
            "reports",
        ],
    },
    TeamPool {
        name: "identity",
        service: "auth-api",
        worker: "session sweeper",
        product: "sign-in",
        jira: ("IDN", "Identity"),
        services: &[
            "auth-api",
            "session-sweeper",
            "token-service",
            "login-web",
            "rate-limiter",
            "audit-log",
            "directory",
        ],
    },
    TeamPool {
        name: "search",
        service: "query-api",
        worker: "reindex worker",
        product: "search",
        jira: ("SRCH", "Search"),
        services: &["query-api", "reindex-worker", "ranker", "search-web", "crawler", "feature-store", "cache"],
    },
];

const CHANNEL_NAMES: [&[&str]; 8] = [
    &["general", "announcements", "company", "all-hands"],
    &["engineering", "eng", "dev-all", "eng-chat"],
    &["incidents", "inc-response", "ops-incidents", "war-room"],
    &["{team}-eng", "team-{team}", "{team}", "{team}-squad"],
    &["platform", "infra", "platform-team", "sre"],
    &["web-app", "frontend", "web", "web-team"],
    &["brand-refresh", "design-crit", "marketing", "brand"],
    &["random", "watercooler", "social", "offtopic"],
];

fn ascii_lower(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase()
}

impl Org {
    /// The org for a seed (0: Kestrel).
    pub fn build(seed: u64) -> Org {
        if seed == 0 {
            return Org::kestrel();
        }
        let mut rng = Rng::new(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x0bad_cafe);
        let company = rng.pick(COMPANIES).to_string();
        let slug = company.to_lowercase();
        let domain = format!("{slug}.example");
        let pool = rng.pick(TEAMS);
        let team = Team {
            name: pool.name.into(),
            service: pool.service.into(),
            worker: pool.worker.into(),
            product: pool.product.into(),
            jira_key: pool.jira.0.into(),
            jira_name: pool.jira.1.into(),
            services: pool.services.iter().map(|s| s.to_string()).collect(),
        };
        let kestrel = Org::kestrel();
        let mut firsts: Vec<&str> = FIRST.to_vec();
        let mut lasts: Vec<&str> = LAST.to_vec();
        let mut people = Vec::new();
        for (i, k) in kestrel.people.iter().enumerate() {
            let first = firsts.remove(rng.below(firsts.len()));
            let last = lasts.remove(rng.below(lasts.len()));
            let name = format!("{first} {last}");
            let handle = format!("{}.{}", ascii_lower(first), ascii_lower(last));
            let title = match i {
                MAYA => rng.pick(MY_TITLES).to_string(),
                NOAH => rng.pick(BOSS_TITLES).to_string(),
                _ => k.title.replace("Payments", &capitalize(&team.name)),
            };
            people.push(Person {
                slack: format!(
                    "U{:02}{}",
                    i + 1,
                    ascii_lower(first).to_uppercase().chars().take(5).collect::<String>()
                ),
                github: k
                    .github
                    .as_ref()
                    .map(|_| format!("{}{}", ascii_lower(first).chars().next().unwrap_or('x'), ascii_lower(last))),
                jira: format!("70{:04}:{}", rng.below(10_000), ascii_lower(first)),
                name,
                handle,
                title,
                domain: domain.clone(),
            });
        }
        let channels = kestrel
            .channels
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let name = rng.pick(CHANNEL_NAMES[i]).replace("{team}", &team.name);
                Channel {
                    id: format!(
                        "C{:02}{}",
                        i + 1,
                        ascii_lower(&name).to_uppercase().chars().take(7).collect::<String>()
                    ),
                    purpose: c.purpose.replace(
                        "Payments team: checkout, refunds, ledger",
                        &format!("{} team: {}, {}", capitalize(&team.name), team.product, team.service),
                    ),
                    name,
                    members: c.members.clone(),
                }
            })
            .collect();
        let web = *rng.pick(&["web-app", "frontend", "webapp", "console"]);
        Org {
            seed,
            slack_url: format!("https://{slug}.slack.com"),
            jira_url: format!("https://{slug}.atlassian.net"),
            github_org: slug.clone(),
            repo_main: format!("{slug}/{}", team.service),
            repo_web: format!("{slug}/{web}"),
            dm: format!(
                "D01{}{}",
                people[NOAH].slack.get(3..).unwrap_or("X"),
                people[MAYA].slack.get(3..).unwrap_or("Y")
            ),
            calendar_id: people[MAYA].email(),
            company,
            domain,
            team,
            people,
            channels,
        }
    }

    fn kestrel() -> Org {
        let domain = "kestrel.example".to_string();
        let p = |slack: &str, name: &str, handle: &str, title: &str, github: Option<&str>, jira: &str| Person {
            slack: slack.into(),
            name: name.into(),
            handle: handle.into(),
            title: title.into(),
            github: github.map(str::to_string),
            jira: jira.into(),
            domain: domain.clone(),
        };
        let people = vec![
            p("U01MAYA", "Maya Chen", "maya.chen", "Director of Engineering", Some("mayachen"), "712020:maya"),
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
        let c = |id: &str, name: &str, purpose: &str, members: &[usize]| Channel {
            id: id.into(),
            name: name.into(),
            purpose: purpose.into(),
            members: members.to_vec(),
        };
        let channels = vec![
            c(
                "C01GENERAL",
                "general",
                "Company-wide announcements",
                &[MAYA, NOAH, CHLOE, EMMA, RAVI, DIEGO, HANA, KENJI],
            ),
            c(
                "C02ENG",
                "engineering",
                "Engineering-wide discussion, deploys and RFCs",
                &[MAYA, NOAH, RAVI, DIEGO, SOFIA, TOM, AISHA, LIAM, PRIYA, KENJI],
            ),
            c(
                "C03INCIDENTS",
                "incidents",
                "Active incidents. Post updates in threads.",
                &[SOFIA, TOM, RAVI, PRIYA, DIEGO, MAYA],
            ),
            c(
                "C04PAYENG",
                "payments-eng",
                "Payments team: checkout, refunds, ledger",
                &[RAVI, TOM, AISHA, HANA, SOFIA],
            ),
            c(
                "C05PLATFORM",
                "platform",
                "Platform team: infra, CI, Kubernetes, Terraform",
                &[DIEGO, PRIYA, SOFIA, KENJI],
            ),
            c("C06WEBAPP", "web-app", "The customer web app", &[LIAM, HANA, TOM, AISHA]),
            c("C07BRAND", "brand-refresh", "Marketing x Design: the 2027 brand refresh", &[JONAS, EMMA, CHLOE]),
            c("C08RANDOM", "random", "Non-work banter", &[KENJI, LIAM, PRIYA, AISHA, CHLOE, TOM, MAX]),
        ];
        Org {
            seed: 0,
            company: "Kestrel".into(),
            slack_url: "https://kestrel.slack.com".into(),
            jira_url: "https://kestrel.atlassian.net".into(),
            github_org: "kestrel".into(),
            team: Team {
                name: "payments".into(),
                service: "payments-api".into(),
                worker: "refund worker".into(),
                product: "checkout".into(),
                jira_key: "PAY".into(),
                jira_name: "Payments".into(),
                services: [
                    "payments-api",
                    "ledger",
                    "refund-worker",
                    "checkout-web",
                    "auth-gateway",
                    "notifications",
                    "search-indexer",
                    "billing-cron",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            },
            people,
            channels,
            dm: "D01NOAHMAYA".into(),
            repo_main: "kestrel/payments-api".into(),
            repo_web: "kestrel/web-app".into(),
            calendar_id: "maya.chen@kestrel.example".into(),
            domain,
        }
    }

    pub fn me(&self) -> &Person {
        &self.people[MAYA]
    }
}

pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
