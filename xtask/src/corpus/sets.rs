//! The six corpus sets. Each `gen_*` builds one record from templates;
//! density of labelled values is controlled per set (prose sparse, dense
//! about one per 100 bytes, chat one per ~300 bytes, logs/code per line).

use super::doc::Doc;
use super::negatives;
use super::rng::{chance, int, pick, Rng};
use super::template::{fill, fill_one, Ctx};

/// The corpus sets, in file order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Set {
    Prose,
    Dense,
    Chat,
    Logs,
    Code,
    Negatives,
}

impl Set {
    pub const ALL: [Set; 6] = [
        Set::Prose,
        Set::Dense,
        Set::Chat,
        Set::Logs,
        Set::Code,
        Set::Negatives,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Set::Prose => "prose",
            Set::Dense => "dense",
            Set::Chat => "chat",
            Set::Logs => "logs",
            Set::Code => "code",
            Set::Negatives => "negatives",
        }
    }

    /// Fixed seed per set: "HUSH" in the high half, set number below.
    pub fn seed(self) -> u64 {
        let n =
            Set::ALL.iter().position(|&s| s == self).expect("listed") as u64;
        0x4855_5348_0000_0000 + n + 1
    }

    pub fn generate(self, rng: &mut Rng) -> Doc {
        match self {
            Set::Prose => gen_prose(rng),
            Set::Dense => gen_dense(rng),
            Set::Chat => gen_chat(rng),
            Set::Logs => gen_logs(rng),
            Set::Code => gen_code(rng),
            Set::Negatives => negatives::gen_negative(rng),
        }
    }
}

// ================================================================ prose

/// Sentences with no labelled value; ordinary numbers allowed.
pub const PROSE_FILLER: &[&str] = &[
    "{company} reported a {pct} rise in revenue in {year}, largely because it chose to {bs}.",
    "The {adj} {noun} was {verb} by the board at {time} on {weekday}.",
    "According to {name}, the {city} office now employs {count} staff.",
    "{name} joined {company} in {year} as a {prof}.",
    "Shares closed at {price} after the company {verb} its {adj} {noun}.",
    "Under section {section} of the agreement, the {noun} must be reviewed every {n} months.",
    "In {month}, the team in {city} {verb} {a_adj} {noun} worth {price}.",
    "\"{catch}\" became the unofficial motto of the {adj} {noun}.",
    "Roughly {pct} of respondents said the {noun} had improved since {year}.",
    "The {industry} sector added {count} jobs in {year}, a gain of {pct}.",
    "{name} and {name} met in {city} to discuss the {adj} {noun}.",
    "Analysts expect {company} to {bs} before {year} is out.",
    "The session ran from {time} to {time}, and the {noun} was {verb} without objection.",
    "Attendance at the {adj} {noun} reached {count}, up {pct} on the previous year.",
    "A spokesperson for {company} declined to comment on the {noun}.",
    "The {noun} costs about {price} per seat, as set out in section {section} of the price list.",
    "{first} said the new {noun} would help the company {bs}.",
    "Since {year}, {company} has opened {n} offices, including one in {city}.",
    "Chapter {n} covers the {adj} {noun} in some detail.",
    "Profits fell {pct} in the {quarter} quarter, the weakest result since {year}.",
    "The {noun} in {city} was {verb} after {n} weeks of negotiation.",
    "Most of the {count} participants rated the {noun} as useful.",
    "Nobody at {company} expected the {adj} {noun} to take {n} months.",
    "{name}, a {prof} based in {city}, has led the {noun} since {year}.",
    "The plan is to {bs} while keeping costs below {price} a month.",
    "By {time} the {noun} had been {verb}, and everyone went home.",
    "It was the {adj} {noun} of the year, and {pct} of staff took part.",
    "The {adj} {noun} for {city} was {verb} on {weekday}, {n} days late.",
    "Meanwhile {company} hired {count} people to {bs}.",
    "{first} from the {city} office thought section {section} needed rewriting.",
];

/// Sentences carrying exactly one labelled value, with realistic context,
/// grouped by label so that every kind is drawn equally often.
pub const PROSE_PII: &[&[&str]] = &[
    &[
        "{name} can be reached at {pemail} for questions about the {noun}.",
        "Enquiries about the {adj} {noun} should be sent to {email}.",
        "Please send the signed {noun} to {email} by {weekday}.",
    ],
    &[
        "The press office in {city} can be reached on {phone}.",
        "{name}'s direct line is {phone}, according to the staff directory.",
        "For bookings, call {phone} between {time} and {time}.",
    ],
    &[
        "{name} was born on {dob} in {city}.",
        "Hospital records list her date of birth as {dob}.",
        "The lease was signed on {date} at the {city} office.",
    ],
    &[
        "The leaked spreadsheet showed the SSN {ssn} next to his name.",
        "{name} read out her social security number {ssn_ctx} over the phone.",
    ],
    &[
        "The contractor used ITIN {itin} on the {year} tax return.",
        "Her ITIN, {itin}, was listed on the {year} filing.",
    ],
    &[
        "The refund was issued to the card {card} on file.",
        "{name} paid the {price} deposit with card {card}.",
    ],
    &[
        "Payments for the {noun} go to IBAN {iban} at a bank in {city}.",
        "The invoice asked for a transfer to {iban} within {n} days.",
    ],
    &[
        "The attack came from {ip}, an address later traced to a hosting provider in {city}.",
        "The firewall logged repeated logins from {ipv6} during the night.",
    ],
    &[
        "The rogue device in the {city} office had the MAC address {mac}.",
        "Network logs tied the laptop with MAC address {mac} to the {city} office.",
        "The tablet registered as {mac} was reported stolen on {weekday}.",
    ],
    &[
        "Details of the {adj} {noun} are published at {url}.",
        "The full report is available online ({url}).",
    ],
    &[
        "A developer accidentally pushed the key {token} to a public repository in {year}.",
        "Auditors found the connection string {conn} in a shared document.",
    ],
    &[
        "His National Insurance number, {nino}, was printed on the letter.",
        "Her NHS number is {nhs}, and she is registered with a practice in {city}.",
        "The form asked for a social insurance number (SIN), and he wrote {sin}.",
        "The wire instructions listed routing number {aba} for the {city} branch.",
        "{name} travelled on passport no. {passport} and arrived on {weekday}.",
    ],
    &[
        "The parcel for {name} was delivered to {address} on {weekday}.",
        "Invoices should be posted to {address}.",
        "The new office at {address} opens in {month}.",
    ],
    &[
        "The ransom note demanded payment to the wallet {wallet} within {n} hours.",
        "Donations to the {noun} can be sent to {wallet}.",
    ],
];

fn gen_prose(rng: &mut Rng) -> Doc {
    let mut doc = Doc::new();
    let mut ctx = Ctx::default();
    let paragraphs = int(rng, 1, 3);
    for p in 0..paragraphs {
        if p > 0 {
            doc.push("\n\n");
        }
        for s in 0..int(rng, 3, 8) {
            if s > 0 {
                doc.push(" ");
            }
            let tpls = if chance(rng, 0.04) {
                pick(rng, PROSE_PII)
            } else {
                PROSE_FILLER
            };
            fill_one(&mut doc, rng, &mut ctx, tpls);
        }
    }
    doc
}

// ================================================================ dense

/// (field label, template of the value) for form-like records.
const FORM_FIELDS: &[(&str, &str)] = &[
    ("Email", "{pemail}"),
    ("E-mail", "{pemail}"),
    ("Phone", "{phone}"),
    ("Mobile", "{phone}"),
    ("Tel", "{phone}"),
    ("DOB", "{dob}"),
    ("Date of birth", "{dob}"),
    ("SSN", "{ssn_ctx}"),
    ("ITIN", "{itin}"),
    ("Card", "{card}"),
    ("Card number", "{card}"),
    ("IBAN", "{iban}"),
    ("Last login IP", "{ip}"),
    ("Device MAC", "{mac}"),
    ("Website", "{url}"),
    ("Passport no.", "{passport}"),
    ("NI number", "{nino}"),
    ("NHS number", "{nhs}"),
    ("SIN", "{sin}"),
    ("Routing number", "{aba}"),
    ("Wallet", "{wallet}"),
    ("Appointment", "{date}"),
    ("Address", "{address}"),
];

const DENSE_NOTES: &[&str] = &[
    "Called {first} on {phone} re renewal; card {card} declined, switched to IBAN {iban}.",
    "{name} ({pemail}) asked to update billing to {card}.",
    "Left voicemail at {phone}. Follow up by email: {pemail}.",
    "Customer DOB {dob}, SSN {ssn}, verified by {first}.",
    "Refund to {card} approved; confirmation sent to {email}.",
    "New lead: {name}, {phone}, {pemail}, met at the {city} expo.",
    "KYC: passport no. {passport}, DOB {dob}, phone {phone}.",
    "Login from {ip} flagged; user {email} reset password.",
    "ITIN {itin} on file for {name}; mailing updates to {pemail}.",
    "Wire via routing number {aba}, beneficiary IBAN {iban}.",
    "Payout wallet changed to {wallet} by {email}.",
    "Patient {name}, DOB {dob}, NHS number {nhs}, mobile {phone}.",
    "Employee {name}: SIN {sin}, start date {date}, phone {phone}.",
    "Contractor NINO {nino}; invoice to {email}.",
    "Device {mac} at {ipv4} registered to {email}.",
    "{first} prefers calls at {phone}, otherwise {pemail}.",
    "Card {card} exp {exp}; billing email {email}.",
    "Ticket: {email} cannot reach {url} from {ip}.",
    "Ship replacement to {address}; notify {pemail}.",
];

/// Unlabelled form fields mixed in with the labelled ones.
const FORM_FILLER: &[(&str, &str)] = &[
    ("Company", "{company}"),
    ("City", "{city}"),
    ("Customer since", "{year}"),
    ("Plan", "Pro"),
    ("Plan", "Basic"),
    ("Status", "active"),
    ("Status", "pending review"),
    ("Account manager", "{oname}"),
    ("Seats", "{count}"),
    ("Monthly spend", "{price}"),
    ("Occupation", "{prof}"),
    ("Preferred contact time", "after {time}"),
    ("Notes", "asked about the {adj} {noun}"),
    ("Notes", "renewal due in {month}, offered {pct} off"),
];

/// Short unlabelled CRM remarks between notes.
const DENSE_FILLER: &[&str] = &[
    "Customer mentioned the {adj} {noun}.",
    "Renewal due in {month}; discount of {pct} offered.",
    "Prefers contact after {time}.",
    "Account owner: {oname}.",
    "Spoke for {n} minutes about pricing ({price}/month).",
    "Escalated to the {city} team.",
    "No further action until {weekday}.",
    "Works as a {prof} at {company}.",
    "Interested in the {industry} bundle.",
];

fn gen_dense(rng: &mut Rng) -> Doc {
    let mut doc = Doc::new();
    let mut ctx = Ctx::default();
    match int(rng, 0, 9) {
        0..=4 => {
            // form fill: labelled and unlabelled fields, shuffled
            let sep = pick(rng, &["\n", " | ", "; ", ", "]);
            let colon = pick(rng, &[": ", ": ", " - ", "="]);
            fill(&mut doc, rng, &mut ctx, &format!("Name{colon}{{name}}"));
            let mut fields: Vec<(&str, &str)> = Vec::new();
            let n_pii = int(rng, 2, 4) as usize;
            let n_fill = int(rng, 5, 8) as usize;
            while fields.len() < n_pii {
                let f = pick(rng, FORM_FIELDS);
                if !fields.iter().any(|g| g.0 == f.0) {
                    fields.push(f);
                }
            }
            while fields.len() < n_pii + n_fill {
                let f = pick(rng, FORM_FILLER);
                if !fields.iter().any(|g| g.0 == f.0) {
                    let at = int(rng, 0, fields.len() as u64) as usize;
                    fields.insert(at, f);
                }
            }
            for (label, tpl) in fields {
                // unseparated SSNs only right after "SSN: "
                let colon = if label == "SSN" { ": " } else { colon };
                doc.push(sep);
                fill(&mut doc, rng, &mut ctx, &format!("{label}{colon}{tpl}"));
            }
        }
        5..=8 => {
            for i in 0..int(rng, 1, 3) {
                if i > 0 {
                    doc.push(" ");
                }
                fill_one(&mut doc, rng, &mut ctx, DENSE_NOTES);
                for _ in 0..int(rng, 2, 3) {
                    doc.push(" ");
                    fill_one(&mut doc, rng, &mut ctx, DENSE_FILLER);
                }
            }
        }
        _ => {
            // CSV export
            doc.push("id,name,company,city,email,phone,plan,since\n");
            for _ in 0..int(rng, 2, 4) {
                let id = int(rng, 1000, 9999);
                let plan = pick(rng, &["pro", "basic", "team", "enterprise"]);
                fill(
                    &mut doc,
                    rng,
                    &mut ctx,
                    &format!("{id},{{name}},{{company}},{{city}},{{pemail}},{{phone}},{plan},{{year}}\n"),
                );
            }
        }
    }
    doc
}

// ================================================================ chat

const CHAT_OPENERS: &[&str] = &[
    "Hi Claude, ",
    "Hey, ",
    "Hello! ",
    "Quick question: ",
    "",
    "Please help: ",
    "Hi there {emoji} ",
];

const CHAT_PROMPTS: &[&str] = &[
    "can you draft a reply to {pemail} about her card ending {n4}? {pfirst} says the charge on {date} was wrong.",
    "my SSN is {ssn} and I need help filling out the {noun} form before {weekday}.",
    "why does this fail? curl -H \"Authorization: Bearer {token}\" {url} returns 401 {emoji}",
    "translate to German: My name is {name}, my IBAN is {iban} and you can call me on {phone}.",
    "write a polite email to {name} ({pemail}, {phone}) moving our meeting to {weekday} at {time}.",
    "summarise this customer message: \"Hi, I'm {name}, born {dob}. My card {card} was charged twice, please refund it.\"",
    "is {ip} a private address? Our {noun} server keeps blocking it.",
    "I accidentally committed my key {token} to GitHub. What should I do first?",
    "fix the typo in this signature: {name} | {prof} | {phone} | {url}",
    "how do I format a MAC address like {mac} for a Cisco switch?",
    "can you check whether {wallet} is a valid address? I want to send {price} worth.",
    "please fill in the template with my details: passport no. {passport}, date of birth {dob}.",
    "my accountant needs my ITIN ({itin}) — can you explain what it is used for?",
    "rewrite this more formally: \"yo {first}, send the {noun} to {pemail} asap thx\"",
    "the app crashes when I log in from {ipv6}, here's the config: DATABASE_URL={conn}",
    "what is the routing number {aba} used for on a cheque?",
    "my NHS number is {nhs}, how do I register with a new GP in {city}?",
    "book a table for {n} at {time} and text the confirmation to {phone} {emoji}",
    "can you redact personal data from: \"Contact {name} at {pemail} or {phone}; NI {nino}.\"",
    "explain this error: connection to {conn} refused",
    "my SIN is {sin}, do I need it for a job at {company}?",
    "what's wrong with this JWT? {jwt}",
    "please write a short bio for {name}, a {prof} in {city} since {year}.",
];

const CHAT_FILLER: &[&str] = &[
    "Thanks so much {emoji}",
    "Keep it under {n} words, please.",
    "Make it friendly but professional.",
    "We are a team of {count} at {company}.",
    "It's pretty urgent, the {noun} is due on {weekday}.",
    "Merci beaucoup, c'est très gentil !",
    "Danke schön für die Hilfe.",
    "よろしくお願いします。",
    "谢谢！",
    "Also, the budget is around {price}.",
    "No worries if not.",
    "I'm writing from {city}, if that matters.",
];

const ASSISTANT_LINES: &[&str] = &[
    "Sure! Here is a draft you can adapt:",
    "Of course. A few points to consider first:",
    "Happy to help. One thing to note: you should not share identifiers like that in chat.",
    "Here's a revised version:",
    "Good question. In short, it depends on the {noun}.",
];

fn gen_chat(rng: &mut Rng) -> Doc {
    let mut doc = Doc::new();
    let mut ctx = Ctx::default();
    let turns = int(rng, 1, 3);
    for t in 0..turns {
        if t > 0 {
            doc.push("\n\n");
        }
        if turns > 1 {
            doc.push("User: ");
        }
        if t == 0 {
            let opener = pick(rng, CHAT_OPENERS);
            fill(&mut doc, rng, &mut ctx, opener);
        }
        if chance(rng, 0.6) {
            // context before the request
            fill_one(&mut doc, rng, &mut ctx, PROSE_FILLER);
            doc.push(" So, ");
        }
        fill_one(&mut doc, rng, &mut ctx, CHAT_PROMPTS);
        let mut used: Vec<&str> = Vec::new();
        for _ in 0..int(rng, 1, 3) {
            let tpl = pick(rng, CHAT_FILLER);
            if !used.contains(&tpl) {
                used.push(tpl);
                doc.push(" ");
                fill(&mut doc, rng, &mut ctx, tpl);
            }
        }
        if chance(rng, 0.7) {
            doc.push(" ");
            fill_one(&mut doc, rng, &mut ctx, PROSE_FILLER);
        }
        if turns > 1 && t + 1 < turns {
            doc.push("\n\nAssistant: ");
            fill_one(&mut doc, rng, &mut ctx, ASSISTANT_LINES);
            doc.push(" ");
            fill_one(&mut doc, rng, &mut ctx, PROSE_FILLER);
        }
    }
    doc
}

// ================================================================ logs

const LEVELS: &[&str] = &["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];

const APP_LINES: &[&str] = &[
    "request_id={uuid} method=GET path=/api/v1/{seg} status={status} duration_ms={ms} client_ip={ipv4}",
    "request_id={uuid} method=POST path=/api/v1/{seg} status={status} duration_ms={ms} client_ip={ipv4} user={email}",
    "user {email} logged in from {ip}",
    "session {hex32} created for {email}",
    "password reset requested for {email} from {ipv4}",
    "cache miss key={hex16} took {ms}ms",
    "worker {n} finished job {uuid} in {ms}ms",
    "upstream {ipv4}:{port} responded {status} in {ms}ms",
    "deployed build {sha7} ({ver})",
    "rate limit exceeded for {ipv4} ({n} req/s)",
    "webhook delivered to {url} status={status}",
    "retrying connection to {ipv4}:{port} attempt={n}",
    "config loaded checksum={sha256}",
    "healthcheck ok uptime={count}s",
    "payment intent {hex16} confirmed for {email}",
];

const LEAK_LINES: &[&str] = &[
    "outgoing request headers={'Authorization': 'Bearer {jwt}'}",
    "using fallback API key {token}",
    "could not connect to {conn}: connection refused",
    "env AWS_ACCESS_KEY_ID={aws_id} region=eu-west-1",
    "slack notifier initialised with token {slack}",
    "Authorization: Bearer {jwt}",
    "loaded github token {github} from environment",
];

fn log_app_line(doc: &mut Doc, rng: &mut Rng, ctx: &mut Ctx, style: u64) {
    let ts = match style {
        0 => "{ts} ",
        _ => "[{ts}] ",
    };
    fill(doc, rng, ctx, ts);
    let level = pick(rng, LEVELS);
    doc.push(level);
    let svc =
        pick(rng, &["api", "auth", "billing", "worker", "gateway", "search"]);
    doc.push(&format!(" [{svc}] "));
    let tpls = if chance(rng, 0.05) { LEAK_LINES } else { APP_LINES };
    fill_one(doc, rng, ctx, tpls);
}

const UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
];

fn log_nginx_line(doc: &mut Doc, rng: &mut Rng, ctx: &mut Ctx) {
    fill(doc, rng, ctx, "{ipv4} - - [");
    let mon = &pick(rng, &super::values::MONTHS)[..3];
    doc.push(&format!(
        "{:02}/{mon}/{}:{:02}:{:02}:{:02} +0000] \"",
        int(rng, 1, 28),
        int(rng, 2021, 2025),
        int(rng, 0, 23),
        int(rng, 0, 59),
        int(rng, 0, 59)
    ));
    let method = pick(rng, &["GET", "GET", "POST", "PUT", "DELETE"]);
    fill(
        doc,
        rng,
        ctx,
        &format!(
            "{method} /{{seg}}/{{seg}} HTTP/1.1\" {{status}} {{size}} \""
        ),
    );
    if chance(rng, 0.4) {
        fill(doc, rng, ctx, "{url}");
    } else {
        doc.push("-");
    }
    doc.push("\" \"");
    doc.push(pick(rng, UAS));
    doc.push("\"");
}

fn log_json_line(doc: &mut Doc, rng: &mut Rng, ctx: &mut Ctx) {
    let level = pick(rng, LEVELS).to_lowercase();
    fill(
        doc,
        rng,
        ctx,
        &format!("{{\"ts\":\"{{ts}}\",\"level\":\"{level}\","),
    );
    let body = pick(
        rng,
        &[
            "\"msg\":\"login ok\",\"ip\":\"{ip}\",\"user\":\"{email}\",\"trace_id\":\"{hex32}\"}",
            "\"msg\":\"request\",\"remote_addr\":\"{ipv4}\",\"path\":\"/{seg}\",\"status\":{status},\"latency_ms\":{ms}}",
            "\"msg\":\"job done\",\"job_id\":\"{uuid}\",\"duration_ms\":{ms}}",
            "\"msg\":\"email sent\",\"to\":\"{email}\",\"template\":\"{seg}\"}",
            "\"msg\":\"device seen\",\"mac\":\"{mac}\",\"ip\":\"{ipv4}\"}",
            "\"msg\":\"build\",\"commit\":\"{sha}\",\"version\":\"{ver}\"}",
        ],
    );
    fill(doc, rng, ctx, body);
}

fn log_syslog_line(doc: &mut Doc, rng: &mut Rng, ctx: &mut Ctx) {
    let mon = &pick(rng, &super::values::MONTHS)[..3];
    doc.push(&format!(
        "{mon} {:>2} {:02}:{:02}:{:02} ",
        int(rng, 1, 28),
        int(rng, 0, 23),
        int(rng, 0, 59),
        int(rng, 0, 59)
    ));
    let host = format!(
        "{}-{}",
        pick(rng, &["bastion", "web", "db", "edge", "vpn"]),
        int(rng, 1, 9)
    );
    doc.push(&host);
    let line = pick(
        rng,
        &[
            " sshd[{pid}]: Failed password for invalid user admin from {ipv4} port {port} ssh2",
            " sshd[{pid}]: Accepted publickey for deploy from {ipv4} port {port} ssh2: RSA SHA256:{b64}",
            " dhcpd[{pid}]: DHCPACK on {ipv4} to {mac} via eth0",
            " kernel: [UFW BLOCK] IN=eth0 OUT= SRC={ipv4} DST={ipv4} PROTO=TCP SPT={port} DPT=22",
            " postfix/smtpd[{pid}]: connect from unknown[{ipv4}]",
            " postfix/qmgr[{pid}]: {hex16}: from=<{email}>, size={size}, nrcpt=1 (queue active)",
            " CRON[{pid}]: (root) CMD (/usr/local/bin/backup.sh)",
            " systemd[1]: Started Session {n} of user deploy.",
        ],
    );
    fill(doc, rng, ctx, line);
}

fn gen_logs(rng: &mut Rng) -> Doc {
    let mut doc = Doc::new();
    let mut ctx = Ctx::default();
    let style = int(rng, 0, 4);
    for i in 0..int(rng, 4, 16) {
        if i > 0 {
            doc.push("\n");
        }
        match style {
            0 | 1 => log_app_line(&mut doc, rng, &mut ctx, style),
            2 => log_nginx_line(&mut doc, rng, &mut ctx),
            3 => log_json_line(&mut doc, rng, &mut ctx),
            _ => log_syslog_line(&mut doc, rng, &mut ctx),
        }
    }
    doc
}

// ================================================================ code

const ENV_LINES: &[&str] = &[
    "NODE_ENV=production",
    "PORT={port}",
    "LOG_LEVEL=debug",
    "APP_VERSION={ver}",
    "BUILD_SHA={sha}",
    "RELEASE_ID={uuid}",
    "DATABASE_URL={conn}",
    "STRIPE_SECRET_KEY={stripe}",
    "OPENAI_API_KEY={openai}",
    "ANTHROPIC_API_KEY={anthropic}",
    "AWS_ACCESS_KEY_ID={aws_id}",
    "AWS_SECRET_ACCESS_KEY={aws_secret}",
    "SESSION_SECRET={pwu}",
    "GITHUB_TOKEN={github}",
    "SENDGRID_API_KEY={sendgrid}",
    "TWILIO_API_KEY={twilio}",
    "GOOGLE_MAPS_KEY={google}",
    "NPM_TOKEN={npm}",
    "GITLAB_TOKEN={gitlab}",
    "SLACK_BOT_TOKEN={slack}",
    "DB_PASSWORD=\"{pw}\"",
    "SUPPORT_EMAIL={email}",
    "PUBLIC_URL={url}",
    "FEATURE_FLAGS=search,billing",
    "CACHE_TTL={n}",
];

fn code_env(doc: &mut Doc, rng: &mut Rng, ctx: &mut Ctx) {
    doc.push("# .env\n");
    let mut used: Vec<usize> = Vec::new();
    for i in 0..int(rng, 4, 9) {
        let j = loop {
            let j = int(rng, 0, ENV_LINES.len() as u64 - 1) as usize;
            if !used.contains(&j) {
                break j;
            }
        };
        used.push(j);
        if i > 0 {
            doc.push("\n");
        }
        fill(doc, rng, ctx, ENV_LINES[j]);
    }
}

const CODE_SNIPPETS: &[&str] = &[
    // YAML (CI / compose)
    "services:\n  api:\n    image: acme/api:{ver}@sha256:{sha256}\n    environment:\n      - DB_PASSWORD={pwu}\n      - GITHUB_TOKEN={github}\n      - RELEASE={sha7}\n    ports:\n      - \"{port}:8080\"",
    "# config.yaml\napp:\n  name: {brand}\n  version: {ver}\n  api_key: {pwu}\n  webhook: {url}\ndatabase:\n  url: {conn}\n  pool: {n}",
    "deploy:\n  provider: s3\n  access_key_id: {aws_id}\n  aws_secret_access_key: {aws_secret}\n  bucket: {brand}-artifacts\n  cache_key: {sha256}",
    // JSON
    "{\n  \"name\": \"{brand}-service\",\n  \"version\": \"{ver}\",\n  \"client_id\": \"{uuid}\",\n  \"client_secret\": \"{pw}\",\n  \"redirect_uri\": \"{url}\"\n}",
    "{\n  \"type\": \"service_account\",\n  \"project_id\": \"{brand}-prod\",\n  \"private_key_id\": \"{sha}\",\n  \"private_key\": \"{pem_json}\\n\",\n  \"client_id\": \"{epoch}\"\n}",
    "\"{brand}\": {\n  \"version\": \"{ver}\",\n  \"integrity\": \"{sri}\"\n}",
    // Python
    "import requests\n\nAPI_KEY = \"{token}\"\nBASE_URL = \"{url}\"\n\n\ndef fetch(item_id):\n    # trace {uuid}\n    headers = {\"Authorization\": \"Bearer \" + API_KEY}\n    return requests.get(BASE_URL + \"/items/\" + str(item_id), headers=headers)",
    "from anthropic import Anthropic\n\nclient = Anthropic(api_key=\"{anthropic}\")\nMODEL_REV = \"{sha7}\"",
    "SECRET_KEY = \"{pw}\"\nDEBUG = False\nALLOWED_HOSTS = [\"{brand}.internal\"]\nDATABASES = {\"default\": {\"ENGINE\": \"django.db.backends.postgresql\", \"PASSWORD\": \"{pw}\"}}",
    "import stripe\nstripe.api_key = \"{stripe}\"\n# checksum {sha256}\nVERSION = \"{ver}\"",
    // JavaScript / TypeScript
    "const openai = new OpenAI({ apiKey: \"{openai}\" });\nconst BUILD = \"{sha}\";",
    "export const config = {\n  sendgridKey: '{sendgrid}',\n  from: '{email}',\n  version: '{ver}',\n  requestId: '{uuid}',\n};",
    "const client = new Twilio('{twilio}', process.env.TWILIO_SECRET);\nconst asset = 'data:image/png;base64,{b64}';",
    "const JWT = \"{jwt}\";\nfetch(\"{url}\", { headers: { Authorization: `Bearer ${JWT}` } });",
    // shell
    "#!/bin/sh\nset -eu\nexport GITHUB_TOKEN={github}\ngit clone {url}\ngit checkout {sha}\ncurl -fsSL -H \"PRIVATE-TOKEN: {gitlab}\" {url}",
    "curl -X POST {url} \\\n  -H \"Authorization: Bearer {token}\" \\\n  -d '{\"id\": \"{uuid}\"}'",
    "echo \"//registry.npmjs.org/:_authToken={npm}\" > ~/.npmrc\nnpm publish --tag {ver}",
    "twine upload --username __token__ --password {pypi} dist/*",
    // credentials / ini
    "[default]\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\nregion = eu-west-1",
    "[database]\nhost = db.{brand}.internal\nuser = app\npassword = {pwu}\n\n[cache]\nredis = {conn}",
    // keys
    "$ cat ~/.ssh/id_deploy\n{pem}",
    "# tls/key.pem (do not commit)\n{pem}\n# fingerprint {sha256}",
    // git metadata
    "commit {sha}\nAuthor: {name} <{pemail}>\nDate:   {gitdate}\n\n    Bump {brand} to {ver} ({sha7})",
    // Rust / TOML
    "[[package]]\nname = \"{brand}\"\nversion = \"{ver}\"\nchecksum = \"{sha256}\"",
    "let token = \"{github}\";\nlet endpoint = \"{url}\";\nlet build_id = \"{uuid}\";",
    // network config
    "# /etc/hosts\n{ipv4} db.{brand}.internal\n{ipv4} cache.{brand}.internal\n{ipv6} api.{brand}.internal",
    "location /admin {\n    allow {ipv4};\n    allow {ipv4};\n    deny all;\n}\n# maintainer: {email}",
    "resource \"aws_security_group_rule\" \"ssh\" {\n  source_ip   = \"{ipv4}\"\n  description = \"office {city}\"\n}",
    // k8s-ish
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {brand}-config\n  uid: {uuid}\ndata:\n  LOG_LEVEL: info\n  SLACK_WEBHOOK_TOKEN: {slack}\n  auth_token: {pwu}",
];

fn gen_code(rng: &mut Rng) -> Doc {
    let mut doc = Doc::new();
    let mut ctx = Ctx::default();
    if chance(rng, 0.25) {
        code_env(&mut doc, rng, &mut ctx);
    } else {
        fill_one(&mut doc, rng, &mut ctx, CODE_SNIPPETS);
    }
    doc
}
