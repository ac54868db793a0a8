#include "core/storage/sqlite_ledger.h"

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <tuple>

#include "core/domain/cost_model.h"

namespace grants {
namespace {

const char kSchema[] =
    "CREATE TABLE IF NOT EXISTS charges ("
    "  id INTEGER PRIMARY KEY,"
    "  cluster TEXT NOT NULL, job_id INTEGER NOT NULL, run_start INTEGER NOT NULL,"
    "  award TEXT NOT NULL, user TEXT NOT NULL, account TEXT NOT NULL, partition TEXT NOT NULL,"
    "  chips INTEGER NOT NULL, seconds INTEGER NOT NULL,"
    "  chip_hours_ticks INTEGER NOT NULL, usd_ticks INTEGER,"
    "  recorded_at INTEGER NOT NULL,"
    "  UNIQUE (cluster, job_id, run_start));"
    "CREATE INDEX IF NOT EXISTS charges_award ON charges (award);"
    // Covers totals() (run at every controller start): its GROUP BY reads this
    // index alone instead of 1,000,000 rows by rowid (6.7 s -> 0.2 s, docs/PERFORMANCE.md).
    "CREATE INDEX IF NOT EXISTS charges_award_amounts ON charges (award, chip_hours_ticks, usd_ticks);"
    // grantctl report --user / --since / --until: 1,000,000 charges scanned in
    // 100-140 ms without them, 10-40 ms with (docs/PERFORMANCE.md). Built by the
    // writer's first open of an existing ledger (1.4 s at 1,000,000 charges).
    "CREATE INDEX IF NOT EXISTS charges_user ON charges (user);"
    "CREATE INDEX IF NOT EXISTS charges_recorded_at ON charges (recorded_at);"
    "CREATE TABLE IF NOT EXISTS adjustments ("
    "  id INTEGER PRIMARY KEY, award TEXT NOT NULL, unit TEXT NOT NULL CHECK (unit IN ('chip_hours','usd')),"
    "  amount_micros INTEGER NOT NULL, reason TEXT NOT NULL, who TEXT NOT NULL, at INTEGER NOT NULL);"
    // grantctl deposit: supplements and corrections of an award's budget (funding.h).
    "CREATE TABLE IF NOT EXISTS deposits ("
    "  id INTEGER PRIMARY KEY, award TEXT NOT NULL, unit TEXT NOT NULL CHECK (unit IN ('chip_hours','usd')),"
    "  amount_micros INTEGER NOT NULL, from_day INTEGER NOT NULL, until_day INTEGER,"
    "  reason TEXT NOT NULL, who TEXT NOT NULL, at INTEGER NOT NULL);"
    // grantctl alerts: each threshold announced once (alerts.h); sent_at NULL: to be sent.
    "CREATE TABLE IF NOT EXISTS alerts ("
    "  award TEXT NOT NULL, kind TEXT NOT NULL, threshold INTEGER NOT NULL, recipients TEXT NOT NULL,"
    "  subject TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL, sent_at INTEGER,"
    "  PRIMARY KEY (award, kind, threshold));"
    // Instance time of the enforced partitions' nodes (instance_time.h): the
    // segments that ended, and the one each node is in now.
    "CREATE TABLE IF NOT EXISTS instance_time ("
    "  cluster TEXT NOT NULL, node TEXT NOT NULL, partition TEXT NOT NULL, instance_type TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('boot','busy','idle','failed')),"
    "  start INTEGER NOT NULL, seconds INTEGER NOT NULL CHECK (seconds > 0), chips INTEGER NOT NULL,"
    "  usd_per_hour_micros INTEGER, PRIMARY KEY (cluster, node, start));"
    "CREATE INDEX IF NOT EXISTS instance_time_start ON instance_time (start);"
    "CREATE TABLE IF NOT EXISTS instance_open ("
    "  cluster TEXT NOT NULL, node TEXT NOT NULL, partition TEXT NOT NULL, instance_type TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('boot','busy','idle')), start INTEGER NOT NULL, chips INTEGER NOT NULL,"
    "  usd_per_hour_micros INTEGER, PRIMARY KEY (cluster, node));"
    // grantctl transfer: the two adjustments of one transfer (its legs), and
    // the awards, so that each leg can name the other award.
    "CREATE TABLE IF NOT EXISTS transfers ("
    "  id INTEGER PRIMARY KEY, from_adjustment INTEGER NOT NULL UNIQUE, to_adjustment INTEGER NOT NULL UNIQUE,"
    "  from_award TEXT NOT NULL, to_award TEXT NOT NULL, rate_micros INTEGER);"
    // The policy audit (policy_audit.h): the last recorded state of every
    // award's audited fields, and each change recorded.
    "CREATE TABLE IF NOT EXISTS policy_fields ("
    "  cluster TEXT NOT NULL, award TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,"
    "  PRIMARY KEY (cluster, award, field));"
    "CREATE TABLE IF NOT EXISTS policy_audit ("
    "  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, cluster TEXT NOT NULL, file TEXT NOT NULL, award TEXT NOT NULL,"
    "  field TEXT NOT NULL,"
    "  old_value TEXT NOT NULL, new_value TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS policy_audit_award ON policy_audit (award, at);"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    // The charge book reads only the rows appended since its last read
    // (charge_book.h); a row of the three tables it holds deleted or changed
    // in place (by hand: grants never does either) must make it read the
    // whole ledger again. Counted here, whoever's connection does it; the
    // meta row appears with the first such change.
    "CREATE TRIGGER IF NOT EXISTS charges_deleted AFTER DELETE ON charges BEGIN"
    "  INSERT INTO meta (key, value) VALUES ('rewrites', '1')"
    "  ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS charges_changed AFTER UPDATE ON charges BEGIN"
    "  INSERT INTO meta (key, value) VALUES ('rewrites', '1')"
    "  ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS adjustments_deleted AFTER DELETE ON adjustments BEGIN"
    "  INSERT INTO meta (key, value) VALUES ('rewrites', '1')"
    "  ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS adjustments_changed AFTER UPDATE ON adjustments BEGIN"
    "  INSERT INTO meta (key, value) VALUES ('rewrites', '1')"
    "  ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS deposits_deleted AFTER DELETE ON deposits BEGIN"
    "  INSERT INTO meta (key, value) VALUES ('rewrites', '1')"
    "  ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS deposits_changed AFTER UPDATE ON deposits BEGIN"
    "  INSERT INTO meta (key, value) VALUES ('rewrites', '1')"
    "  ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;"
    "INSERT OR IGNORE INTO meta VALUES ('schema_version', '1');";

// Finalizes the statement on every path.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    bool ok() const { return rc_ == SQLITE_OK; }
    sqlite3_stmt* get() { return stmt_; }

private:
    sqlite3_stmt* stmt_ = nullptr;
    int rc_;
};

bool exec(sqlite3* db, const char* sql, std::string* error) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
    if (error) *error = msg ? msg : sqlite3_errmsg(db);
    sqlite3_free(msg);
    return false;
}

bool fail(sqlite3* db, std::string* error) {
    if (error) *error = sqlite3_errmsg(db);
    return false;
}

// Steps ST to its end, calling row(sqlite3_stmt*) on each row. False, with
// SQLite's message in *error, when a step fails.
template <typename Row>
bool for_each_row(sqlite3* db, Statement& st, const Row& row, std::string* error) {
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) row(st.get());
    return rc == SQLITE_DONE || fail(db, error);
}

std::string text(sqlite3_stmt* s, int col) {
    const unsigned char* t = sqlite3_column_text(s, col);
    return t ? reinterpret_cast<const char*>(t) : "";
}

}  // namespace

std::unique_ptr<SqliteLedger> SqliteLedger::open(const std::string& path, std::string* error, bool read_only) {
    sqlite3* db = nullptr;
    int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    flags |= SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        if (error) *error = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return nullptr;
    }
    sqlite3_busy_timeout(db, 5000);
    bool ok = read_only ? exec(db, "PRAGMA query_only = ON;", error)
                        : exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", error) &&
                              exec(db, kSchema, error);
    if (ok) ok = exec(db, "SELECT count(*) FROM charges;", error);  // detects a corrupt file now
    if (!ok) {
        sqlite3_close(db);
        return nullptr;
    }
    return std::unique_ptr<SqliteLedger>(new SqliteLedger(db, path));
}

SqliteLedger::~SqliteLedger() { sqlite3_close(db_); }

bool SqliteLedger::record_charges(const std::vector<ChargeRecord>& charges, std::vector<ChargeRecord>* inserted,
                            std::string* error) {
    if (inserted) inserted->clear();
    if (charges.empty()) return true;
    if (!exec(db_, "BEGIN IMMEDIATE;", error)) return false;
    std::vector<ChargeRecord> fresh;
    {
        Statement st(db_,
                     "INSERT OR IGNORE INTO charges (cluster, job_id, run_start, award, user, account, partition,"
                     " chips, seconds, chip_hours_ticks, usd_ticks, recorded_at)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12);");
        if (!st.ok()) {
            fail(db_, error);
            exec(db_, "ROLLBACK;", nullptr);
            return false;
        }
        for (const ChargeRecord& c : charges) {
            sqlite3_stmt* s = st.get();
            sqlite3_reset(s);
            sqlite3_bind_text(s, 1, c.cluster.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(s, 2, c.job_id);
            sqlite3_bind_int64(s, 3, c.run_start);
            sqlite3_bind_text(s, 4, c.award.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(s, 5, c.user.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(s, 6, c.account.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(s, 7, c.partition.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(s, 8, c.chips);
            sqlite3_bind_int64(s, 9, c.seconds);
            sqlite3_bind_int64(s, 10, c.chip_hours);
            if (c.usd >= 0) {
                sqlite3_bind_int64(s, 11, c.usd);
            } else {
                sqlite3_bind_null(s, 11);
            }
            sqlite3_bind_int64(s, 12, c.recorded_at);
            if (sqlite3_step(s) != SQLITE_DONE) {
                fail(db_, error);
                exec(db_, "ROLLBACK;", nullptr);
                return false;
            }
            if (sqlite3_changes(db_) == 1) fresh.push_back(c);
        }
    }
    if (!exec(db_, "COMMIT;", error)) {
        exec(db_, "ROLLBACK;", nullptr);
        return false;
    }
    if (inserted) *inserted = std::move(fresh);
    return true;
}

namespace {

bool insert_adjustment(sqlite3* db, const Adjustment& a, std::int64_t* id, std::string* error) {
    Statement st(db, "INSERT INTO adjustments (award, unit, amount_micros, reason, who, at) VALUES (?1,?2,?3,?4,?5,?6);");
    if (!st.ok()) return fail(db, error);
    sqlite3_stmt* s = st.get();
    sqlite3_bind_text(s, 1, a.award.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, a.unit.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, a.amount);
    sqlite3_bind_text(s, 4, a.reason.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, a.who.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 6, a.at);
    if (sqlite3_step(s) != SQLITE_DONE) return fail(db, error);
    if (id) *id = sqlite3_last_insert_rowid(db);
    return true;
}

}  // namespace

bool SqliteLedger::record_adjustment(const Adjustment& a, std::string* error) {
    return insert_adjustment(db_, a, nullptr, error);
}

bool SqliteLedger::record_transfer(const Transfer& t, std::int64_t* id, std::string* error) {
    if (!exec(db_, "BEGIN IMMEDIATE;", error)) return false;
    std::int64_t from_id = 0, to_id = 0;
    bool ok = insert_adjustment(db_, t.from, &from_id, error) && insert_adjustment(db_, t.to, &to_id, error);
    if (ok) {
        Statement st(db_, "INSERT INTO transfers (from_adjustment, to_adjustment, from_award, to_award, rate_micros)"
                          " VALUES (?1,?2,?3,?4,?5);");
        ok = st.ok();
        if (ok) {
            sqlite3_stmt* s = st.get();
            sqlite3_bind_int64(s, 1, from_id);
            sqlite3_bind_int64(s, 2, to_id);
            sqlite3_bind_text(s, 3, t.from.award.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(s, 4, t.to.award.c_str(), -1, SQLITE_TRANSIENT);
            if (t.rate_micros > 0) {
                sqlite3_bind_int64(s, 5, t.rate_micros);
            } else {
                sqlite3_bind_null(s, 5);
            }
            ok = sqlite3_step(s) == SQLITE_DONE;
        }
        if (!ok) fail(db_, error);
        else if (id) *id = sqlite3_last_insert_rowid(db_);
    }
    if (!ok || !exec(db_, "COMMIT;", error)) {
        exec(db_, "ROLLBACK;", nullptr);
        return false;
    }
    return true;
}

bool SqliteLedger::totals(std::map<std::string, ChargeTotals>* out, std::string* error) const {
    out->clear();
    {
        Statement st(db_, "SELECT award, sum(chip_hours_ticks), sum(coalesce(usd_ticks, 0)) FROM charges GROUP BY award;");
        if (!st.ok()) return fail(db_, error);
        const bool ok = for_each_row(
            db_, st,
            [out](sqlite3_stmt* s) {
                ChargeTotals& t = (*out)[text(s, 0)];
                t.chip_hours += sqlite3_column_int64(s, 1);
                t.usd += sqlite3_column_int64(s, 2);
            },
            error);
        if (!ok) return false;
    }
    Statement st(db_, "SELECT award, unit, sum(amount_micros) FROM adjustments GROUP BY award, unit;");
    if (!st.ok()) return fail(db_, error);
    return for_each_row(
        db_, st,
        [out](sqlite3_stmt* s) {
            ChargeTotals& t = (*out)[text(s, 0)];
            (text(s, 1) == "usd" ? t.usd : t.chip_hours) += ticks_of(sqlite3_column_int64(s, 2));
        },
        error);
}

namespace {

// " WHERE ..." for filter over the given time column, with its values bound from index 1.
struct Where {
    std::string sql;
    std::vector<std::string> texts;
    std::vector<std::int64_t> numbers;  // after the texts
};

Where where_of(const LedgerFilter& f, const char* time_column, bool with_user) {
    Where w;
    auto add = [&w](const std::string& clause) { w.sql += (w.sql.empty() ? " WHERE " : " AND ") + clause; };
    if (f.award) {
        add("award = ?");
        w.texts.push_back(*f.award);
    }
    if (with_user && f.user) {
        add("user = ?");
        w.texts.push_back(*f.user);
    }
    if (f.since) {
        add(std::string(time_column) + " >= ?");
        w.numbers.push_back(*f.since);
    }
    if (f.until) {
        add(std::string(time_column) + " < ?");
        w.numbers.push_back(*f.until);
    }
    return w;
}

void bind(sqlite3_stmt* s, const Where& w) {
    int i = 1;
    for (const auto& t : w.texts) sqlite3_bind_text(s, i++, t.c_str(), -1, SQLITE_TRANSIENT);
    for (auto n : w.numbers) sqlite3_bind_int64(s, i++, n);
}

// What charges() and each_charge_by_award() both select first, in read_charge's order.
// SELECT columns FROM table, filtered by w, sorted by order: one call of
// row per result. Charges, adjustments and deposits are all read this way.
template <typename Row>
bool select_rows(sqlite3* db, const std::string& columns, const char* table, const Where& w, const char* order,
                 const Row& row, std::string* error) {
    const std::string sql = "SELECT " + columns + " FROM " + table + w.sql + " ORDER BY " + order + ";";
    Statement st(db, sql.c_str());
    if (!st.ok()) return fail(db, error);
    bind(st.get(), w);
    return for_each_row(db, st, row, error);
}

const char kChargeColumns[] = "award, job_id, run_start, chips, seconds, chip_hours_ticks, coalesce(usd_ticks, -1)";

// Reads kChargeColumns into c. The award is assigned in place, so a record
// reused across rows keeps its buffer.
void read_charge(sqlite3_stmt* s, ChargeRecord& c) {
    const unsigned char* award = sqlite3_column_text(s, 0);
    c.award.assign(award ? reinterpret_cast<const char*>(award) : "");
    c.job_id = static_cast<std::uint32_t>(sqlite3_column_int64(s, 1));
    c.run_start = sqlite3_column_int64(s, 2);
    c.chips = sqlite3_column_int64(s, 3);
    c.seconds = sqlite3_column_int64(s, 4);
    c.chip_hours = sqlite3_column_int64(s, 5);
    c.usd = sqlite3_column_int64(s, 6);
}

// kChargeColumns and then kChargeRest's cluster, user, account, partition
// and recorded_at: every field of a charge.
constexpr char kChargeRest[] = ", cluster, user, account, partition, recorded_at";
void read_whole_charge(sqlite3_stmt* s, ChargeRecord& c) {
    read_charge(s, c);
    c.cluster = text(s, 7);
    c.user = text(s, 8);
    c.account = text(s, 9);
    c.partition = text(s, 10);
    c.recorded_at = sqlite3_column_int64(s, 11);
}

// award, unit, amount_micros, reason, who, at, transfer id, counterpart.
Adjustment read_adjustment(sqlite3_stmt* s) {
    Adjustment a{text(s, 0), text(s, 1), sqlite3_column_int64(s, 2), text(s, 3), text(s, 4), sqlite3_column_int64(s, 5)};
    a.transfer = sqlite3_column_int64(s, 6);
    a.counterpart = text(s, 7);
    return a;
}

}  // namespace

bool SqliteLedger::charges(std::vector<ChargeRecord>* out, std::string* error, const LedgerFilter& filter) const {
    out->clear();
    return select_rows(
        db_, std::string(kChargeColumns) + kChargeRest, "charges",
        where_of(filter, "recorded_at", true), "job_id, run_start",
        [out](sqlite3_stmt* s) {
            ChargeRecord c;
            read_whole_charge(s, c);
            out->push_back(std::move(c));
        },
        error);
}

bool SqliteLedger::adjustments(std::vector<Adjustment>* out, std::string* error, const LedgerFilter& filter) const {
    out->clear();
    if (filter.user) return true;
    // A ledger from before transfers (opened read-only) has no transfers table.
    auto has = has_table("transfers", error);
    if (!has) return false;
    const char* table = *has ? "adjustments LEFT JOIN transfers tf ON tf.from_adjustment = adjustments.id"
                               " LEFT JOIN transfers tt ON tt.to_adjustment = adjustments.id"
                             : "adjustments";
    const std::string columns = *has ? "award, unit, amount_micros, reason, who, at, coalesce(tf.id, tt.id, 0),"
                                       " coalesce(tf.to_award, tt.from_award, '')"
                                     : "award, unit, amount_micros, reason, who, at, 0, ''";
    return select_rows(
        db_, columns, table, where_of(filter, "at", false), "adjustments.id",
        [out](sqlite3_stmt* s) {
            Adjustment a = read_adjustment(s);
            out->push_back(std::move(a));
        },
        error);
}

namespace {

// grants_report_day(recorded_at): the caller's day_of, so that the database
// groups by exactly the calendar day the C++ code would compute (localtime_r
// in the controller's time zone, DST included), not by SQLite's own idea of
// local time.
void report_day_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
    const auto* day_of = static_cast<const std::function<std::int64_t(std::int64_t)>*>(sqlite3_user_data(ctx));
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_int64(ctx, (*day_of)(sqlite3_value_int64(argv[0])));
}

// Registers grants_report_day on the connection for one query.
class DayFunction {
public:
    DayFunction(sqlite3* db, const std::function<std::int64_t(std::int64_t)>* day_of) : db_(db) {
        rc_ = sqlite3_create_function_v2(db, "grants_report_day", 1,
                                         SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
                                         const_cast<std::function<std::int64_t(std::int64_t)>*>(day_of),
                                         report_day_function, nullptr, nullptr, nullptr);
    }
    ~DayFunction() {
        if (rc_ == SQLITE_OK) {
            sqlite3_create_function_v2(db_, "grants_report_day", 1, SQLITE_UTF8, nullptr, nullptr, nullptr, nullptr,
                                       nullptr);
        }
    }
    DayFunction(const DayFunction&) = delete;
    DayFunction& operator=(const DayFunction&) = delete;
    bool ok() const { return rc_ == SQLITE_OK; }

private:
    sqlite3* db_;
    int rc_;
};

}  // namespace

bool SqliteLedger::charge_sums(ChargeGrouping by, const LedgerFilter& filter,
                         const std::function<std::int64_t(std::int64_t)>& day_of,
                         const std::function<void(const ChargeSum&)>& each, std::string* error) const {
    const bool per_day = by == ChargeGrouping::Day;
    if (per_day && !day_of) {
        if (error) *error = "no day function for a report by day";
        return false;
    }
    // Each charge is capped as build_report's saturating additions cap it
    // (amounts are never negative), then summed exactly by SQLite (integer
    // sum(); it fails rather than wrap on overflow). "+award" keeps SQLite
    // from walking the award index for the grouping, which fetches every row
    // by rowid (5 s at 1,000,000 charges instead of 0.8 s for a scan and a
    // sort); a filter still uses its index.
    const std::string cap_count = std::to_string(kSaturatedCount);
    const std::string cap_ticks = std::to_string(kSaturatedTicks);
    const char* key = per_day ? "grants_report_day(recorded_at)" : "user";
    Where w = where_of(filter, "recorded_at", true);
    const std::string sql = std::string("SELECT award, ") + key + " AS grp, count(*), sum(min(chips * seconds, " +
                            cap_count + ")), sum(min(chip_hours_ticks, " + cap_ticks +
                            ")), sum(CASE WHEN usd_ticks > 0 THEN min(usd_ticks, " + cap_ticks +
                            ") ELSE 0 END) FROM charges" + w.sql + " GROUP BY +award, grp ORDER BY +award, grp;";
    DayFunction function(db_, per_day ? &day_of : nullptr);
    if (per_day && !function.ok()) return fail(db_, error);
    Statement st(db_, sql.c_str());
    if (!st.ok()) return fail(db_, error);
    bind(st.get(), w);
    ChargeSum sum;
    return for_each_row(
        db_, st,
        [&](sqlite3_stmt* s) {
            sum.award = text(s, 0);
            if (per_day) {
                sum.day = sqlite3_column_int64(s, 1);
            } else {
                sum.user = text(s, 1);
            }
            sum.runs = sqlite3_column_int64(s, 2);
            sum.chip_seconds = std::min<std::int64_t>(sqlite3_column_int64(s, 3), kSaturatedCount);
            sum.chip_hours = std::min<Ticks>(sqlite3_column_int64(s, 4), kSaturatedTicks);
            sum.usd = std::min<Ticks>(sqlite3_column_int64(s, 5), kSaturatedTicks);
            each(sum);
        },
        error);
}

bool SqliteLedger::each_charge_by_award(const LedgerFilter& filter, const std::function<void(const ChargeRecord&)>& each,
                                  std::string* error) const {
    ChargeRecord c;
    return select_rows(
        db_, std::string(kChargeColumns) + ", user, recorded_at, cluster, partition, account", "charges", where_of(filter, "recorded_at", true),
        "+award, job_id, run_start, id",
        [&](sqlite3_stmt* s) {
            read_charge(s, c);
            const unsigned char* user = sqlite3_column_text(s, 7);
            c.user.assign(user ? reinterpret_cast<const char*>(user) : "");
            c.recorded_at = sqlite3_column_int64(s, 8);
            const unsigned char* cluster = sqlite3_column_text(s, 9);
            c.cluster.assign(cluster ? reinterpret_cast<const char*>(cluster) : "");
            const unsigned char* partition = sqlite3_column_text(s, 10);
            c.partition.assign(partition ? reinterpret_cast<const char*>(partition) : "");
            const unsigned char* account = sqlite3_column_text(s, 11);
            c.account.assign(account ? reinterpret_cast<const char*>(account) : "");
            each(c);
        },
        error);
}

bool SqliteLedger::record_deposit(const Deposit& d, std::int64_t* id, std::string* error) {
    Statement st(db_,
                 "INSERT INTO deposits (award, unit, amount_micros, from_day, until_day, reason, who, at)"
                 " VALUES (?1,?2,?3,?4,?5,?6,?7,?8);");
    if (!st.ok()) return fail(db_, error);
    sqlite3_stmt* s = st.get();
    sqlite3_bind_text(s, 1, d.award.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, d.unit.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, d.amount);
    sqlite3_bind_int64(s, 4, d.from);
    if (d.until) {
        sqlite3_bind_int64(s, 5, *d.until);
    } else {
        sqlite3_bind_null(s, 5);
    }
    sqlite3_bind_text(s, 6, d.reason.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 7, d.who.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 8, d.at);
    if (sqlite3_step(s) != SQLITE_DONE) return fail(db_, error);
    if (id) *id = sqlite3_last_insert_rowid(db_);
    return true;
}

// Whether a table exists: a ledger last written by an older version and
// opened read-only lacks the newer tables. nullopt on an error.
std::optional<bool> SqliteLedger::has_table(const char* name, std::string* error) const {
    Statement st(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1;");
    if (!st.ok()) {
        fail(db_, error);
        return std::nullopt;
    }
    sqlite3_bind_text(st.get(), 1, name, -1, SQLITE_STATIC);
    const int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) return false;
    if (rc == SQLITE_ROW) return true;
    fail(db_, error);
    return std::nullopt;
}

bool SqliteLedger::alerts(std::vector<AlertRow>* out, std::string* error) const {
    out->clear();
    auto has = has_table("alerts", error);
    if (!has) return false;
    if (!*has) return true;
    return select_rows(
        db_, "award, kind, threshold, recipients, subject, body, created_at, sent_at", "alerts", Where{},
        "created_at, award, kind, threshold",
        [out](sqlite3_stmt* s) {
            AlertRow r;
            r.award = text(s, 0);
            r.kind = text(s, 1);
            r.threshold = static_cast<int>(sqlite3_column_int64(s, 2));
            r.recipients = text(s, 3);
            r.subject = text(s, 4);
            r.body = text(s, 5);
            r.created_at = sqlite3_column_int64(s, 6);
            if (sqlite3_column_type(s, 7) != SQLITE_NULL) r.sent_at = sqlite3_column_int64(s, 7);
            out->push_back(std::move(r));
        },
        error);
}

bool SqliteLedger::record_alerts(const std::vector<AlertRow>& rows, std::string* error) {
    if (!exec(db_, "BEGIN IMMEDIATE;", error)) return false;
    Statement st(db_,
                 "INSERT OR IGNORE INTO alerts (award, kind, threshold, recipients, subject, body, created_at, sent_at)"
                 " VALUES (?1,?2,?3,?4,?5,?6,?7,?8);");
    bool ok = st.ok();
    for (std::size_t i = 0; ok && i < rows.size(); ++i) {
        const AlertRow& r = rows[i];
        sqlite3_stmt* s = st.get();
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, r.award.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, r.kind.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 3, r.threshold);
        sqlite3_bind_text(s, 4, r.recipients.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 5, r.subject.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 6, r.body.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 7, r.created_at);
        if (r.sent_at) {
            sqlite3_bind_int64(s, 8, *r.sent_at);
        } else {
            sqlite3_bind_null(s, 8);
        }
        ok = sqlite3_step(s) == SQLITE_DONE;
    }
    if (!ok) {
        fail(db_, error);
        exec(db_, "ROLLBACK;", nullptr);
        return false;
    }
    return exec(db_, "COMMIT;", error);
}

bool SqliteLedger::mark_alert_sent(const std::string& award, const std::string& kind, int threshold, std::int64_t at,
                             std::string* error) {
    Statement st(db_, "UPDATE alerts SET sent_at = ?4 WHERE award = ?1 AND kind = ?2 AND threshold = ?3;");
    if (!st.ok()) return fail(db_, error);
    sqlite3_bind_text(st.get(), 1, award.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st.get(), 2, kind.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st.get(), 3, threshold);
    sqlite3_bind_int64(st.get(), 4, at);
    if (sqlite3_step(st.get()) != SQLITE_DONE) return fail(db_, error);
    return true;
}

namespace {

// A deposits row, selected as "id, award, unit, amount_micros, from_day,
// until_day, reason, who, at".
Deposit read_deposit(sqlite3_stmt* s) {
    Deposit d;
    d.id = sqlite3_column_int64(s, 0);
    d.award = text(s, 1);
    d.unit = text(s, 2);
    d.amount = sqlite3_column_int64(s, 3);
    d.from = static_cast<DayNumber>(sqlite3_column_int64(s, 4));
    if (sqlite3_column_type(s, 5) != SQLITE_NULL) d.until = static_cast<DayNumber>(sqlite3_column_int64(s, 5));
    d.reason = text(s, 6);
    d.who = text(s, 7);
    d.at = sqlite3_column_int64(s, 8);
    return d;
}

}  // namespace

bool SqliteLedger::deposits(std::vector<Deposit>* out, std::string* error, const LedgerFilter& filter) const {
    out->clear();
    if (filter.user) return true;
    {
        auto has = has_table("deposits", error);
        if (!has) return false;
        if (!*has) return true;
    }
    return select_rows(
        db_, "id, award, unit, amount_micros, from_day, until_day, reason, who, at", "deposits",
        where_of(filter, "at", false), "id",
        [out](sqlite3_stmt* s) { out->push_back(read_deposit(s)); },
        error);
}

bool SqliteLedger::day_totals(const std::string& award, const std::function<std::int64_t(std::int64_t)>& day_of,
                        std::map<DayNumber, ChargeTotals>* out, std::string* error) const {
    out->clear();
    std::map<DayNumber, std::pair<WideInt, WideInt>> days;  // chip-hours, dollars
    DayFunction function(db_, &day_of);
    if (!function.ok()) return fail(db_, error);
    {
        Statement st(db_,
                     "SELECT grants_report_day(run_start) AS d, sum(chip_hours_ticks), sum(coalesce(usd_ticks, 0))"
                     " FROM charges WHERE award = ?1 GROUP BY d;");
        if (!st.ok()) return fail(db_, error);
        sqlite3_bind_text(st.get(), 1, award.c_str(), -1, SQLITE_TRANSIENT);
        if (!for_each_row(
                db_, st,
                [&](sqlite3_stmt* s) {
                    auto& day = days[static_cast<DayNumber>(sqlite3_column_int64(s, 0))];
                    day.first += sqlite3_column_int64(s, 1);
                    day.second += sqlite3_column_int64(s, 2);
                },
                error)) {
            return false;
        }
    }
    Statement st(db_, "SELECT grants_report_day(at) AS d, unit, sum(amount_micros) FROM adjustments"
                      " WHERE award = ?1 GROUP BY d, unit;");
    if (!st.ok()) return fail(db_, error);
    sqlite3_bind_text(st.get(), 1, award.c_str(), -1, SQLITE_TRANSIENT);
    if (!for_each_row(
            db_, st,
            [&](sqlite3_stmt* s) {
                auto& day = days[static_cast<DayNumber>(sqlite3_column_int64(s, 0))];
                (text(s, 1) == "usd" ? day.second : day.first) +=
                    static_cast<WideInt>(sqlite3_column_int64(s, 2)) * kTicksPerMicro;
            },
            error)) {
        return false;
    }
    for (const auto& [day, sums] : days) (*out)[day] = ChargeTotals{clamp_ticks(sums.first), clamp_ticks(sums.second)};
    return true;
}

namespace {

void bind_segment(sqlite3_stmt* s, const std::string& cluster, const InstanceSegment& g, bool closed) {
    sqlite3_reset(s);
    int i = 1;
    sqlite3_bind_text(s, i++, cluster.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, i++, g.node.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, i++, g.partition.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, i++, g.instance_type.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, i++, instance_kind_name(g.kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, i++, g.start);
    if (closed) sqlite3_bind_int64(s, i++, g.seconds);
    sqlite3_bind_int64(s, i++, g.chips);
    if (g.usd_per_hour) {
        sqlite3_bind_int64(s, i++, *g.usd_per_hour);
    } else {
        sqlite3_bind_null(s, i++);
    }
}

// node, partition, instance_type, kind, start, seconds, chips, usd_per_hour_micros
InstanceSegment segment_of(sqlite3_stmt* s) {
    InstanceSegment g;
    g.node = text(s, 0);
    g.partition = text(s, 1);
    g.instance_type = text(s, 2);
    g.kind = parse_instance_kind(text(s, 3)).value_or(InstanceKind::Idle);
    g.start = sqlite3_column_int64(s, 4);
    g.seconds = sqlite3_column_int64(s, 5);
    g.chips = static_cast<int>(sqlite3_column_int64(s, 6));
    if (sqlite3_column_type(s, 7) != SQLITE_NULL) g.usd_per_hour = sqlite3_column_int64(s, 7);
    return g;
}

}  // namespace

bool SqliteLedger::record_instance_changes(const std::string& cluster, const InstanceChanges& changes, std::string* error) {
    if (changes.empty()) return true;
    if (!exec(db_, "BEGIN IMMEDIATE;", error)) return false;
    bool ok = true;
    {
        Statement closed(db_,
                         "INSERT OR IGNORE INTO instance_time (cluster, node, partition, instance_type, kind, start,"
                         " seconds, chips, usd_per_hour_micros) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9);");
        Statement opened(db_,
                         "INSERT OR REPLACE INTO instance_open (cluster, node, partition, instance_type, kind, start,"
                         " chips, usd_per_hour_micros) VALUES (?1,?2,?3,?4,?5,?6,?7,?8);");
        Statement ended(db_, "DELETE FROM instance_open WHERE cluster = ?1 AND node = ?2;");
        ok = closed.ok() && opened.ok() && ended.ok();
        for (std::size_t i = 0; ok && i < changes.closed.size(); ++i) {
            bind_segment(closed.get(), cluster, changes.closed[i], true);
            ok = sqlite3_step(closed.get()) == SQLITE_DONE;
        }
        for (std::size_t i = 0; ok && i < changes.opened.size(); ++i) {
            bind_segment(opened.get(), cluster, changes.opened[i], false);
            ok = sqlite3_step(opened.get()) == SQLITE_DONE;
        }
        for (std::size_t i = 0; ok && i < changes.ended.size(); ++i) {
            sqlite3_reset(ended.get());
            sqlite3_bind_text(ended.get(), 1, cluster.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ended.get(), 2, changes.ended[i].c_str(), -1, SQLITE_TRANSIENT);
            ok = sqlite3_step(ended.get()) == SQLITE_DONE;
        }
        if (!ok) fail(db_, error);
    }
    if (ok && exec(db_, "COMMIT;", error)) return true;
    exec(db_, "ROLLBACK;", nullptr);
    return false;
}

bool SqliteLedger::instance_segments(const std::optional<std::string>& cluster, std::optional<std::int64_t> since,
                               std::optional<std::int64_t> until, std::vector<InstanceSegment>* closed,
                               std::vector<InstanceSegment>* open, std::string* error) const {
    closed->clear();
    open->clear();
    auto has = has_table("instance_time", error);
    if (!has) return false;
    if (!*has) return true;  // a ledger from before instance time (read-only: not upgraded)
    {
        // Segments that overlap [since, until); a segment lasts at most as
        // long as the ledger has existed, so start >= since - its seconds.
        Statement st(db_,
                     "SELECT node, partition, instance_type, kind, start, seconds, chips, usd_per_hour_micros"
                     " FROM instance_time WHERE (?1 IS NULL OR cluster = ?1) AND (?2 IS NULL OR start + seconds > ?2)"
                     " AND (?3 IS NULL OR start < ?3) ORDER BY partition, instance_type, node, start;");
        if (!st.ok()) return fail(db_, error);
        if (cluster) sqlite3_bind_text(st.get(), 1, cluster->c_str(), -1, SQLITE_TRANSIENT);
        if (since) sqlite3_bind_int64(st.get(), 2, *since);
        if (until) sqlite3_bind_int64(st.get(), 3, *until);
        if (!for_each_row(db_, st, [closed](sqlite3_stmt* s) { closed->push_back(segment_of(s)); }, error)) return false;
    }
    Statement st(db_,
                 "SELECT node, partition, instance_type, kind, start, 0, chips, usd_per_hour_micros"
                 " FROM instance_open WHERE (?1 IS NULL OR cluster = ?1) ORDER BY node;");
    if (!st.ok()) return fail(db_, error);
    if (cluster) sqlite3_bind_text(st.get(), 1, cluster->c_str(), -1, SQLITE_TRANSIENT);
    return for_each_row(db_, st, [open](sqlite3_stmt* s) { open->push_back(segment_of(s)); }, error);
}

bool SqliteLedger::charged_time(std::optional<std::int64_t> since, std::optional<std::int64_t> until,
                          std::map<std::string, ChargedTime>* out, std::string* error) const {
    out->clear();
    Statement st(db_,
                 "SELECT partition, run_start, seconds, chips, chip_hours_ticks, usd_ticks FROM charges"
                 " WHERE (?1 IS NULL OR run_start + seconds > ?1) AND (?2 IS NULL OR run_start < ?2);");
    if (!st.ok()) return fail(db_, error);
    if (since) sqlite3_bind_int64(st.get(), 1, *since);
    if (until) sqlite3_bind_int64(st.get(), 2, *until);
    return for_each_row(
        db_, st,
        [&](sqlite3_stmt* s) {
            const std::int64_t start = sqlite3_column_int64(s, 1);
            const std::int64_t seconds = sqlite3_column_int64(s, 2);
            std::int64_t from = start, to = start + seconds;
            if (since) from = std::max(from, *since);
            if (until) to = std::min(to, *until);
            ChargedTime& c = (*out)[text(s, 0)];
            ++c.runs;
            if (seconds <= 0 || to <= from) return;
            // The part of the run inside the period, in proportion (exact
            // when the run lies inside it).
            const WideInt part = to - from;
            c.chip_hours += clamp_ticks(static_cast<WideInt>(sqlite3_column_int64(s, 4)) * part / seconds);
            if (sqlite3_column_type(s, 5) == SQLITE_NULL) {
                c.priced = false;
            } else {
                c.usd += clamp_ticks(static_cast<WideInt>(sqlite3_column_int64(s, 5)) * part / seconds);
            }
        },
        error);
}

bool SqliteLedger::begin_read(std::string* error) const { return exec(db_, "BEGIN;", error); }

void SqliteLedger::end_read() const { exec(db_, "COMMIT;", nullptr); }

bool SqliteLedger::data_version(std::int64_t* out, std::string* error) const {
    Statement st(db_, "PRAGMA data_version;");
    if (!st.ok()) return fail(db_, error);
    if (sqlite3_step(st.get()) != SQLITE_ROW) return fail(db_, error);
    *out = sqlite3_column_int64(st.get(), 0);
    return true;
}

bool SqliteLedger::update_leases(const std::vector<std::string>&,
                                 const std::function<std::vector<LeaseRow>(const LeaseSnapshot&)>&, std::string* error) {
    if (error) *error = "leases need a ledger shared by several clusters (ledger: { backend: mysql })";
    return false;
}

bool SqliteLedger::leases(std::vector<LeaseRow>* out, std::string* error) const {
    out->clear();
    if (error) *error = "leases need a ledger shared by several clusters (ledger: { backend: mysql })";
    return false;
}

bool SqliteLedger::book_rows_after(const BookMarks& after, BookRows* out, std::string* error) const {
    *out = BookRows{};
    // A ledger opened read-only from before transfers or deposits lacks
    // those tables (the accounting thread's, opened to write, has them).
    auto transfers = has_table("transfers", error);
    if (!transfers) return false;
    auto deposits = has_table("deposits", error);
    if (!deposits) return false;
    const auto one_number = [this, error](const std::string& sql, std::int64_t* n) {
        Statement st(db_, sql.c_str());
        if (!st.ok()) return fail(db_, error);
        const int rc = sqlite3_step(st.get());
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(db_, error);
        *n = rc == SQLITE_ROW ? sqlite3_column_int64(st.get(), 0) : 0;
        return true;
    };
    for (auto [table, rows, last] : {std::tuple{"charges", &out->rows.charges, &out->last.charges},
                                     std::tuple{"adjustments", &out->rows.adjustments, &out->last.adjustments},
                                     std::tuple{"deposits", &out->rows.deposits, &out->last.deposits}}) {
        if (table == std::string("deposits") && !*deposits) continue;
        if (!one_number(std::string("SELECT count(*) FROM ") + table + ";", rows) ||
            !one_number(std::string("SELECT coalesce(max(id), 0) FROM ") + table + ";", last)) {
            return false;
        }
    }
    if (!one_number("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'rewrites';", &out->rewrites)) return false;
    Where w;
    w.sql = " WHERE id > ?";
    w.numbers = {after.charges};
    bool ok = select_rows(
        db_, std::string(kChargeColumns) + kChargeRest + ", id", "charges", w, "id",
        [out](sqlite3_stmt* s) {
            ChargeRecord c;
            read_whole_charge(s, c);
            out->charges.emplace_back(sqlite3_column_int64(s, 12), std::move(c));
        },
        error);
    const char* table = *transfers ? "adjustments LEFT JOIN transfers tf ON tf.from_adjustment = adjustments.id"
                                     " LEFT JOIN transfers tt ON tt.to_adjustment = adjustments.id"
                                   : "adjustments";
    const std::string columns = *transfers ? "award, unit, amount_micros, reason, who, at, coalesce(tf.id, tt.id, 0),"
                                             " coalesce(tf.to_award, tt.from_award, ''), adjustments.id"
                                           : "award, unit, amount_micros, reason, who, at, 0, '', adjustments.id";
    w.sql = " WHERE adjustments.id > ?";
    w.numbers = {after.adjustments};
    ok = ok && select_rows(
                   db_, columns, table, w, "adjustments.id",
                   [out](sqlite3_stmt* s) {
                       Adjustment a = read_adjustment(s);
                       out->adjustments.emplace_back(sqlite3_column_int64(s, 8), std::move(a));
                   },
                   error);
    if (!ok || !*deposits) return ok;
    w.sql = " WHERE id > ?";
    w.numbers = {after.deposits};
    return select_rows(
        db_, "id, award, unit, amount_micros, from_day, until_day, reason, who, at", "deposits", w, "id",
        [out](sqlite3_stmt* s) { out->deposits.push_back(read_deposit(s)); }, error);
}

bool SqliteLedger::row_counts(std::map<std::string, std::int64_t>* out, std::string* error) const {
    out->clear();
    for (const char* table : {"charges", "adjustments", "deposits", "alerts", "instance_time", "instance_open"}) {
        auto has = has_table(table, error);
        if (!has) return false;
        std::int64_t n = 0;
        if (*has) {
            const std::string sql = std::string("SELECT count(*) FROM ") + table + ";";
            Statement st(db_, sql.c_str());
            if (!st.ok() || sqlite3_step(st.get()) != SQLITE_ROW) return fail(db_, error);
            n = sqlite3_column_int64(st.get(), 0);
        }
        (*out)[table] = n;
    }
    return true;
}

bool SqliteLedger::instance_rows(std::vector<InstanceRow>* out, std::string* error) const {
    out->clear();
    auto has = has_table("instance_time", error);
    if (!has) return false;
    if (!*has) return true;
    for (int open = 0; open < 2; ++open) {
        const char* sql = open ? "SELECT node, partition, instance_type, kind, start, 0, chips, usd_per_hour_micros, cluster"
                                 " FROM instance_open ORDER BY cluster, node;"
                               : "SELECT node, partition, instance_type, kind, start, seconds, chips, usd_per_hour_micros,"
                                 " cluster FROM instance_time ORDER BY cluster, node, start;";
        Statement st(db_, sql);
        if (!st.ok()) return fail(db_, error);
        if (!for_each_row(
                db_, st, [&](sqlite3_stmt* s) { out->push_back(InstanceRow{text(s, 8), segment_of(s), open == 1}); },
                error))
            return false;
    }
    return true;
}

bool SqliteLedger::record_policy(const std::string& cluster, const PolicyFields& now, const std::map<std::string, std::string>& files,
                                 const std::string& default_file, std::int64_t at,
                                 std::vector<PolicyChange>* recorded, std::string* error) {
    if (recorded) recorded->clear();
    if (!exec(db_, "BEGIN IMMEDIATE;", error)) return false;
    auto rollback = [&] {
        exec(db_, "ROLLBACK;", nullptr);
        return false;
    };
    PolicyFields old;
    {
        Statement st(db_, "SELECT award, field, value FROM policy_fields WHERE cluster = ?1;");
        if (!st.ok()) {
            fail(db_, error);
            return rollback();
        }
        sqlite3_bind_text(st.get(), 1, cluster.c_str(), -1, SQLITE_TRANSIENT);
        if (!for_each_row(db_, st, [&](sqlite3_stmt* s) { old[text(s, 0)][text(s, 1)] = text(s, 2); }, error)) {
            return rollback();
        }
    }
    std::vector<PolicyChange> changes = diff_awards(old, now);
    if (changes.empty()) return exec(db_, "COMMIT;", error) || rollback();
    Statement audit(db_, "INSERT INTO policy_audit (at, file, award, field, old_value, new_value, cluster)"
                         " VALUES (?1,?2,?3,?4,?5,?6,?7);");
    Statement put(db_, "INSERT OR REPLACE INTO policy_fields (award, field, value, cluster) VALUES (?1,?2,?3,?4);");
    Statement drop(db_, "DELETE FROM policy_fields WHERE award = ?1 AND field = ?2 AND cluster = ?4;");
    if (!audit.ok() || !put.ok() || !drop.ok()) {
        fail(db_, error);
        return rollback();
    }
    for (const PolicyChange& c : changes) {
        auto f = files.find(c.award);
        const std::string& file = f != files.end() && !f->second.empty() ? f->second : default_file;
        sqlite3_stmt* s = audit.get();
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, at);
        sqlite3_bind_text(s, 2, file.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 3, c.award.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 4, c.field.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 5, c.old_value.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 6, c.new_value.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 7, cluster.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s) != SQLITE_DONE) {
            fail(db_, error);
            return rollback();
        }
        if (c.field == "award") continue;  // the award's presence is its fields
        sqlite3_stmt* w = c.new_value.empty() ? drop.get() : put.get();
        sqlite3_reset(w);
        sqlite3_bind_text(w, 1, c.award.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(w, 2, c.field.c_str(), -1, SQLITE_TRANSIENT);
        if (!c.new_value.empty()) sqlite3_bind_text(w, 3, c.new_value.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(w, 4, cluster.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(w) != SQLITE_DONE) {
            fail(db_, error);
            return rollback();
        }
    }
    if (!exec(db_, "COMMIT;", error)) return rollback();
    if (recorded) *recorded = std::move(changes);
    return true;
}

bool SqliteLedger::policy_changes(const LedgerFilter& filter, std::vector<PolicyAuditRow>* out,
                                  std::string* error) const {
    out->clear();
    auto has = has_table("policy_audit", error);
    if (!has) return false;
    if (!*has) return true;
    LedgerFilter f = filter;
    f.user.reset();
    return select_rows(
        db_, "id, at, file, award, field, old_value, new_value, cluster", "policy_audit", where_of(f, "at", false), "id",
        [out](sqlite3_stmt* s) {
            PolicyAuditRow r;
            r.id = sqlite3_column_int64(s, 0);
            r.at = sqlite3_column_int64(s, 1);
            r.file = text(s, 2);
            r.change = PolicyChange{text(s, 3), text(s, 4), text(s, 5), text(s, 6)};
            r.cluster = text(s, 7);
            out->push_back(std::move(r));
        },
        error);
}

std::unique_ptr<Ledger> Ledger::open(const std::string& path, std::string* error, bool read_only) {
    return SqliteLedger::open(path, error, read_only);
}

}  // namespace grants
