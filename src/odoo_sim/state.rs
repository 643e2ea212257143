//! The simulated database and server state shared by the HTTP handlers and [`super::SimHandle`].

use super::clock::SimClock;
use super::schema::Schema;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// One stored row: field name → stored value. Stored forms: many2one = id or `null`, x2many
/// (many2many only) = id list, float/monetary = decimal text, date/datetime = Odoo strings.
pub type Record = BTreeMap<String, Value>;

/// The call context (`context` of `execute_kw` kwargs or of a JSON-2 body).
pub type Ctx = Map<String, Value>;

/// One table.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Rows by id: a persistent map, so the snapshot every write call takes for its rollback
    /// is O(1) (`imbl::OrdMap` shares structure between copies).
    pub rows: imbl::OrdMap<i64, Record>,
    /// Last id handed out.
    pub last_id: i64,
}

/// All tables plus sequences: the part rolled back when a call fails.
#[derive(Debug, Clone, Default)]
pub struct Db {
    /// Tables by model name.
    pub tables: HashMap<String, Table>,
    /// Sequence counters by key (e.g. `INV/2026`).
    pub seqs: HashMap<String, i64>,
}

impl Db {
    /// The table of `model` (created empty on first use).
    pub fn table(&mut self, model: &str) -> &mut Table {
        self.tables.entry(model.to_string()).or_default()
    }
    /// A row, if present.
    pub fn row(&self, model: &str, id: i64) -> Option<&Record> {
        self.tables.get(model).and_then(|t| t.rows.get(&id))
    }
    /// A mutable row, if present.
    pub fn row_mut(&mut self, model: &str, id: i64) -> Option<&mut Record> {
        self.tables.get_mut(model).and_then(|t| t.rows.get_mut(&id))
    }
    /// All ids of `model`, ascending.
    pub fn ids(&self, model: &str) -> Vec<i64> {
        self.tables
            .get(model)
            .map(|t| t.rows.keys().copied().collect())
            .unwrap_or_default()
    }
    /// Next number of sequence `key` (starting at 1).
    pub fn next_seq(&mut self, key: &str) -> i64 {
        let n = self.seqs.entry(key.to_string()).or_insert(0);
        *n += 1;
        *n
    }
}

/// Ids of the records the seed creates and the business code refers to.
#[derive(Debug, Clone, Default)]
pub struct Refs {
    /// The Canadian company.
    pub company: i64,
    /// Its partner.
    pub company_partner: i64,
    /// CAD.
    pub currency: i64,
    /// The admin user (uid 2 as in Odoo).
    pub admin_uid: i64,
    /// 13% HST sale tax, the company's default sale tax.
    pub sale_tax: i64,
    /// Customer invoices journal (code INV, refund sequence RINV).
    pub sale_journal: i64,
    /// Bank journal used by payments.
    pub bank_journal: i64,
    /// The "Units" unit of measure.
    pub uom_unit: i64,
}

/// How the simulated server answers while "down".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DownMode {
    /// Normal service.
    #[default]
    Up,
    /// Every Odoo route answers HTTP 503 (proxy in front of a dead worker).
    Unavailable,
    /// Odoo routes drop the connection without an answer.
    Refuse,
}

/// The whole simulated server.
#[derive(Debug, Clone)]
pub struct Sim {
    /// Models/fields/methods (manual fields are added at run time).
    pub schema: Schema,
    /// Records.
    pub db: Db,
    /// Simulated clock.
    pub clock: SimClock,
    /// Database name.
    pub database: String,
    /// Admin login.
    pub login: String,
    /// Admin password.
    pub password: String,
    /// API key accepted as bearer (JSON-2) and as password (JSON-RPC).
    pub api_key: String,
    /// Seeded record ids.
    pub refs: Refs,
    /// Calls received on `/jsonrpc` and `/json/2` since the last reset.
    pub calls: u64,
    /// Outage simulation.
    pub down: DownMode,
    /// Uid of the current call.
    pub uid: i64,
    /// Whether `sale_subscription` is installed.
    pub with_subscriptions: bool,
    /// `web.base.url`: the simulator's own address (`http://127.0.0.1:PORT`).
    pub web_base_url: String,
}

impl Sim {
    /// `web.base.url` without trailing slash.
    pub fn base_url(&self) -> String {
        self.web_base_url.trim_end_matches('/').to_string()
    }
}

/// Shorthand for a JSON object from pairs.
pub fn obj(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
