#include "core/storage/mysql_ledger.h"

#include <mysql.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <set>
#include <string>

#include "core/domain/cost_model.h"

namespace grants {
namespace {

// Seconds: a server that stops answering fails the call instead of hanging
// the accounting thread or grantctl; a lock wait gives up before the read
// timeout would drop the connection.
constexpr unsigned kConnectTimeout = 5;
constexpr unsigned kReadTimeout = 10;
constexpr unsigned kWriteTimeout = 10;
constexpr int kLockWaitTimeout = 5;

// Version 1. Text is VARBINARY/BLOB: compared and sorted byte by byte, as
// SQLite does, whatever the server's default collation. Amounts are integer
// ticks (decimal.h) in BIGINT.
const char* const kSchema[] = {
    "CREATE TABLE IF NOT EXISTS charges ("
    " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " cluster VARBINARY(255) NOT NULL, job_id BIGINT NOT NULL, run_start BIGINT NOT NULL,"
    " award VARBINARY(255) NOT NULL, `user` VARBINARY(255) NOT NULL, account VARBINARY(255) NOT NULL,"
    " `partition` VARBINARY(255) NOT NULL, chips BIGINT NOT NULL, seconds BIGINT NOT NULL,"
    " chip_hours_ticks BIGINT NOT NULL, usd_ticks BIGINT NULL, recorded_at BIGINT NOT NULL,"
    " UNIQUE KEY charges_run (cluster, job_id, run_start),"
    " KEY charges_award_amounts (award, chip_hours_ticks, usd_ticks),"
    " KEY charges_user (`user`), KEY charges_recorded_at (recorded_at)) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS adjustments ("
    " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, award VARBINARY(255) NOT NULL,"
    " unit VARBINARY(16) NOT NULL CHECK (unit IN ('chip_hours','usd')), amount_micros BIGINT NOT NULL,"
    " reason BLOB NOT NULL, who VARBINARY(255) NOT NULL, at BIGINT NOT NULL, KEY adjustments_award (award))"
    " ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS deposits ("
    " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, award VARBINARY(255) NOT NULL,"
    " unit VARBINARY(16) NOT NULL CHECK (unit IN ('chip_hours','usd')), amount_micros BIGINT NOT NULL,"
    " from_day BIGINT NOT NULL, until_day BIGINT NULL, reason BLOB NOT NULL, who VARBINARY(255) NOT NULL,"
    " at BIGINT NOT NULL) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS alerts ("
    " award VARBINARY(255) NOT NULL, kind VARBINARY(64) NOT NULL, threshold INT NOT NULL, recipients BLOB NOT NULL,"
    " subject BLOB NOT NULL, body BLOB NOT NULL, created_at BIGINT NOT NULL, sent_at BIGINT NULL,"
    " PRIMARY KEY (award, kind, threshold)) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS instance_time ("
    " cluster VARBINARY(255) NOT NULL, node VARBINARY(255) NOT NULL, `partition` VARBINARY(255) NOT NULL,"
    " instance_type VARBINARY(255) NOT NULL,"
    " kind VARBINARY(16) NOT NULL CHECK (kind IN ('boot','busy','idle','failed')),"
    " start BIGINT NOT NULL, seconds BIGINT NOT NULL CHECK (seconds > 0), chips BIGINT NOT NULL,"
    " usd_per_hour_micros BIGINT NULL, PRIMARY KEY (cluster, node, start), KEY instance_time_start (start))"
    " ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS instance_open ("
    " cluster VARBINARY(255) NOT NULL, node VARBINARY(255) NOT NULL, `partition` VARBINARY(255) NOT NULL,"
    " instance_type VARBINARY(255) NOT NULL, kind VARBINARY(16) NOT NULL CHECK (kind IN ('boot','busy','idle')),"
    " start BIGINT NOT NULL, chips BIGINT NOT NULL, usd_per_hour_micros BIGINT NULL,"
    " PRIMARY KEY (cluster, node)) ENGINE=InnoDB",
    // Budget leases (issue 27): per award and cluster; lease_locks holds one
    // row per award that writers lock, in award order, to serialise on it.
    "CREATE TABLE IF NOT EXISTS leases ("
    " award VARBINARY(255) NOT NULL, cluster VARBINARY(255) NOT NULL,"
    " unit VARBINARY(16) NOT NULL CHECK (unit IN ('chip_hours','usd')),"
    " amount BIGINT NOT NULL, held BIGINT NOT NULL, wanted BIGINT NOT NULL DEFAULT 0, renewed_at BIGINT NOT NULL,"
    " PRIMARY KEY (award, cluster)) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS lease_locks (award VARBINARY(255) NOT NULL PRIMARY KEY) ENGINE=InnoDB",
    // Version 2: the policy audit (policy_audit.h) and grantctl transfer, the
    // two adjustments of one transfer.
    "CREATE TABLE IF NOT EXISTS policy_fields ("
    " cluster VARBINARY(255) NOT NULL, award VARBINARY(255) NOT NULL, field VARBINARY(64) NOT NULL,"
    " value BLOB NOT NULL, PRIMARY KEY (cluster, award, field)) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS policy_audit ("
    " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, at BIGINT NOT NULL, cluster VARBINARY(255) NOT NULL,"
    " file BLOB NOT NULL,"
    " award VARBINARY(255) NOT NULL, field VARBINARY(64) NOT NULL, old_value BLOB NOT NULL, new_value BLOB NOT NULL,"
    " KEY policy_audit_award (award, at)) ENGINE=InnoDB",
    "CREATE TABLE IF NOT EXISTS transfers ("
    " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, from_adjustment BIGINT NOT NULL, to_adjustment BIGINT NOT NULL,"
    " from_award VARBINARY(255) NOT NULL, to_award VARBINARY(255) NOT NULL, rate_micros BIGINT NULL,"
    " UNIQUE KEY transfers_from (from_adjustment), UNIQUE KEY transfers_to (to_adjustment)) ENGINE=InnoDB",
    // schema_version; version: bumped by every writing transaction (data_version).
    "CREATE TABLE IF NOT EXISTS meta (`key` VARBINARY(64) NOT NULL PRIMARY KEY, `value` VARBINARY(255) NOT NULL)"
    " ENGINE=InnoDB",
    "INSERT IGNORE INTO meta VALUES ('version', '0')",
};

const char* const kTables[] = {"charges",       "adjustments",   "deposits", "alerts",
                               "instance_time", "instance_open", "leases"};

// A literal for any bytes: hexadecimal needs no escaping and no charset.
std::string hex(const std::string& s) {
    if (s.empty()) return "''";
    static const char digits[] = "0123456789abcdef";
    std::string out = "X'";
    out.reserve(s.size() * 2 + 3);
    for (unsigned char c : s) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out + "'";
}

std::string num(std::int64_t n) { return std::to_string(n); }
std::string num_or_null(const std::optional<std::int64_t>& n) { return n ? num(*n) : "NULL"; }

std::int64_t int_at(MYSQL_ROW row, int i) {
    if (!row[i]) return 0;
    errno = 0;
    long long v = std::strtoll(row[i], nullptr, 10);
    return v;
}
std::optional<std::int64_t> opt_at(MYSQL_ROW row, int i) {
    if (!row[i]) return std::nullopt;
    return int_at(row, i);
}
std::string text_at(MYSQL_ROW row, const unsigned long* len, int i) {
    return row[i] ? std::string(row[i], len[i]) : std::string();
}

// Frees a result on every path.
struct ResultOwner {
    MYSQL_RES* res;
    ~ResultOwner() {
        if (res) mysql_free_result(res);
    }
};

// Errors after which the connection is no good (CR_* client errors: server
// gone, lost, timeouts; the server shutting down or killing us).
bool connection_broken(unsigned err) {
    return (err >= 2000 && err < 3000) || err == 1053 || err == 1927 || err == 4031;
}

struct Where {
    std::string sql;
};

Where where_of(const LedgerFilter& f, const char* time_column, bool with_user) {
    Where w;
    auto add = [&w](const std::string& clause) { w.sql += (w.sql.empty() ? " WHERE " : " AND ") + clause; };
    if (f.award) add("award = " + hex(*f.award));
    if (with_user && f.user) add("`user` = " + hex(*f.user));
    if (f.since) add(std::string(time_column) + " >= " + num(*f.since));
    if (f.until) add(std::string(time_column) + " < " + num(*f.until));
    return w;
}

const char kChargeColumns[] =
    "award, job_id, run_start, chips, seconds, chip_hours_ticks, COALESCE(usd_ticks, -1)";

void read_charge(MYSQL_ROW r, const unsigned long* len, ChargeRecord& c) {
    c.award.assign(r[0] ? r[0] : "", r[0] ? len[0] : 0);
    c.job_id = static_cast<std::uint32_t>(int_at(r, 1));
    c.run_start = int_at(r, 2);
    c.chips = int_at(r, 3);
    c.seconds = int_at(r, 4);
    c.chip_hours = int_at(r, 5);
    c.usd = int_at(r, 6);
}

// kChargeColumns and then kChargeRest's cluster, user, account, partition
// and recorded_at: every field of a charge.
constexpr char kChargeRest[] = ", cluster, `user`, account, `partition`, recorded_at";
void read_whole_charge(MYSQL_ROW r, const unsigned long* len, ChargeRecord& c) {
    read_charge(r, len, c);
    c.cluster = text_at(r, len, 7);
    c.user = text_at(r, len, 8);
    c.account = text_at(r, len, 9);
    c.partition = text_at(r, len, 10);
    c.recorded_at = int_at(r, 11);
}

// award, unit, amount_micros, reason, who, at, transfer id, counterpart.
Adjustment read_adjustment(MYSQL_ROW r, const unsigned long* len) {
    Adjustment a{text_at(r, len, 0), text_at(r, len, 1), int_at(r, 2),
                 text_at(r, len, 3), text_at(r, len, 4), int_at(r, 5)};
    a.transfer = int_at(r, 6);
    a.counterpart = text_at(r, len, 7);
    return a;
}

// node, partition, instance_type, kind, start, seconds, chips, usd_per_hour_micros
InstanceSegment segment_at(MYSQL_ROW r, const unsigned long* len) {
    InstanceSegment g;
    g.node = text_at(r, len, 0);
    g.partition = text_at(r, len, 1);
    g.instance_type = text_at(r, len, 2);
    g.kind = parse_instance_kind(text_at(r, len, 3)).value_or(InstanceKind::Idle);
    g.start = int_at(r, 4);
    g.seconds = int_at(r, 5);
    g.chips = static_cast<int>(int_at(r, 6));
    g.usd_per_hour = opt_at(r, 7);
    return g;
}

const char kSegmentColumns[] = "node, `partition`, instance_type, kind, start";

std::string charge_values(const ChargeRecord& c) {
    return "(" + hex(c.cluster) + "," + num(c.job_id) + "," + num(c.run_start) + "," + hex(c.award) + "," +
           hex(c.user) + "," + hex(c.account) + "," + hex(c.partition) + "," + num(c.chips) + "," + num(c.seconds) +
           "," + num(c.chip_hours) + "," + (c.usd >= 0 ? num(c.usd) : "NULL") + "," + num(c.recorded_at) + ")";
}

const char kChargeInsert[] =
    "INSERT INTO charges (cluster, job_id, run_start, award, `user`, account, `partition`, chips, seconds,"
    " chip_hours_ticks, usd_ticks, recorded_at) VALUES ";

std::string segment_values(const std::string& cluster, const InstanceSegment& g, bool closed) {
    return "(" + hex(cluster) + "," + hex(g.node) + "," + hex(g.partition) + "," + hex(g.instance_type) + "," +
           hex(instance_kind_name(g.kind)) + "," + num(g.start) + "," + (closed ? num(g.seconds) + "," : "") +
           num(g.chips) + "," + num_or_null(g.usd_per_hour) + ")";
}

std::string where_text(const MysqlCredentials& c) {
    std::string host = c.socket.empty() ? c.host + ":" + std::to_string(c.port) : c.socket;
    return "mysql://" + c.user + "@" + host + "/" + c.database;
}

std::string awards_in(const std::vector<std::string>& awards) {
    std::string s;
    for (const auto& a : awards) s += (s.empty() ? "" : ",") + hex(a);
    return "(" + s + ")";
}

// Connects; null with *error.
MYSQL* connect_to(const MysqlCredentials& c, std::string* error) {
    MYSQL* db = mysql_init(nullptr);
    if (!db) {
        if (error) *error = "out of memory";
        return nullptr;
    }
    const unsigned connect = kConnectTimeout, read = kReadTimeout, write = kWriteTimeout;
    mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &connect);
    mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &read);
    mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &write);
    mysql_options(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const char* socket = c.socket.empty() ? nullptr : c.socket.c_str();
    const char* host = c.host.empty() ? nullptr : c.host.c_str();
    if (!mysql_real_connect(db, host, c.user.c_str(), c.password.c_str(), c.database.c_str(), c.port, socket,
                            CLIENT_MULTI_RESULTS)) {
        if (error) *error = "cannot connect to " + where_text(c) + ": " + mysql_error(db);
        mysql_close(db);
        return nullptr;
    }
    const std::string session = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION',"
                                " SESSION innodb_lock_wait_timeout = " +
                                std::to_string(kLockWaitTimeout) + ", SESSION autocommit = 1";
    if (mysql_real_query(db, session.data(), session.size()) != 0) {
        if (error) *error = where_text(c) + ": " + mysql_error(db);
        mysql_close(db);
        return nullptr;
    }
    return db;
}

// The schema version in the database: 0 none; nullopt an error.
std::optional<int> schema_version_of(MYSQL* db, std::string* error) {
    const std::string sql = "SELECT `value` FROM meta WHERE `key` = 'schema_version'";
    if (mysql_real_query(db, sql.data(), sql.size()) != 0) {
        if (mysql_errno(db) == 1146) return 0;  // ER_NO_SUCH_TABLE
        if (error) *error = mysql_error(db);
        return std::nullopt;
    }
    ResultOwner r{mysql_store_result(db)};
    if (!r.res) {
        if (error) *error = mysql_error(db);
        return std::nullopt;
    }
    MYSQL_ROW row = mysql_fetch_row(r.res);
    return row ? static_cast<int>(int_at(row, 0)) : 0;
}

bool schema_current(MYSQL* db, const MysqlCredentials& c, std::string* error) {
    auto v = schema_version_of(db, error);
    if (!v) {
        if (error) *error = where_text(c) + ": " + *error;
        return false;
    }
    if (*v == MysqlLedger::kSchemaVersion) return true;
    if (error) {
        if (*v == 0) {
            *error = "the database " + where_text(c) + " holds no grants ledger: run `grantctl ledger init`";
        } else if (*v < MysqlLedger::kSchemaVersion) {
            *error = "the grants ledger in " + where_text(c) + " has schema version " + std::to_string(*v) +
                     ", this slurm-grants needs " + std::to_string(MysqlLedger::kSchemaVersion) +
                     ": run `grantctl ledger init` to upgrade it";
        } else {
            *error = "the grants ledger in " + where_text(c) + " has schema version " + std::to_string(*v) +
                     ", newer than this slurm-grants reads (" + std::to_string(MysqlLedger::kSchemaVersion) +
                     "): upgrade slurm-grants";
        }
    }
    return false;
}

}  // namespace

MysqlLedger::MysqlLedger(MysqlCredentials credentials, std::string where)
    : Ledger(std::move(where)), credentials_(std::move(credentials)) {}

MysqlLedger::~MysqlLedger() {
    if (db_) mysql_close(db_);
}

std::unique_ptr<MysqlLedger> MysqlLedger::open(const MysqlCredentials& credentials, std::string* error) {
    std::unique_ptr<MysqlLedger> ledger(new MysqlLedger(credentials, where_text(credentials)));
    if (!ledger->connection(error)) return nullptr;
    return ledger;
}

bool MysqlLedger::init_schema(const MysqlCredentials& c, int* found, std::string* error) {
    MYSQL* db = connect_to(c, error);
    if (!db) return false;
    auto fail_with = [&](const std::string& what) {
        if (error) *error = where_text(c) + ": " + what;
        mysql_close(db);
        return false;
    };
    auto v = schema_version_of(db, error);
    if (!v) return fail_with(*error);
    if (found) *found = *v;
    if (*v > kSchemaVersion) {
        return fail_with("schema version " + std::to_string(*v) + " is newer than this slurm-grants (" +
                         std::to_string(kSchemaVersion) + "); nothing changed");
    }
    // Every version's tables are CREATE ... IF NOT EXISTS, so running them all
    // is idempotent and upgrades: version 2 only added the transfers table.
    // A later version that alters a table adds its ALTERs here, run when *v < it.
    for (const char* sql : kSchema) {
        if (mysql_real_query(db, sql, std::strlen(sql)) != 0) return fail_with(mysql_error(db));
    }
    const std::string set = "INSERT INTO meta VALUES ('schema_version', '" + std::to_string(kSchemaVersion) +
                            "') ON DUPLICATE KEY UPDATE `value` = VALUES(`value`)";
    if (mysql_real_query(db, set.data(), set.size()) != 0) return fail_with(mysql_error(db));
    mysql_close(db);
    return true;
}

MYSQL* MysqlLedger::connection(std::string* error) const {
    if (db_) return db_;
    MYSQL* db = connect_to(credentials_, error);
    if (!db) return nullptr;
    if (!schema_current(db, credentials_, error)) {
        mysql_close(db);
        return nullptr;
    }
    db_ = db;
    return db_;
}

bool MysqlLedger::fail(std::string* error) const {
    if (!db_) return false;
    const unsigned err = mysql_errno(db_);
    if (error) *error = path() + ": " + mysql_error(db_);
    if (connection_broken(err)) {
        mysql_close(db_);
        db_ = nullptr;
    }
    return false;
}

bool MysqlLedger::run(const std::string& sql, std::string* error) const {
    MYSQL* db = connection(error);
    if (!db) return false;
    if (mysql_real_query(db, sql.data(), sql.size()) != 0) return fail(error);
    return true;
}

// Streams the rows (mysql_use_result: memory for one row), row(MYSQL_ROW,
// lengths) each. row must not query this ledger.
template <typename Row>
bool MysqlLedger::select(const std::string& sql, const Row& row, std::string* error) const {
    if (!run(sql, error)) return false;
    ResultOwner r{mysql_use_result(db_)};
    if (!r.res) return fail(error);
    while (MYSQL_ROW fields = mysql_fetch_row(r.res)) row(fields, mysql_fetch_lengths(r.res));
    if (mysql_errno(db_) != 0) return fail(error);
    return true;
}

// One writing transaction (READ COMMITTED: reads under the award locks see
// every commit before them). Bumps meta 'version' so that other connections'
// data_version changes, and remembers our own bump so that ours does not.
template <typename Body>
bool MysqlLedger::write(const Body& body, std::string* error) {
    if (!run("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", error)) return false;
    if (!run("START TRANSACTION", error)) return false;
    std::int64_t version = -1;
    bool ok = body() && run("UPDATE meta SET `value` = CAST(`value` AS UNSIGNED) + 1 WHERE `key` = 'version'", error) &&
              select("SELECT `value` FROM meta WHERE `key` = 'version'",
                     [&](MYSQL_ROW r, const unsigned long*) { version = int_at(r, 0); }, error) &&
              run("COMMIT", error);
    if (!ok) {
        if (db_) {
            const char rollback[] = "ROLLBACK";
            mysql_real_query(db_, rollback, sizeof rollback - 1);
        }
        return false;
    }
    if (seen_version_ >= 0 && version == seen_version_ + 1) seen_version_ = version;
    return true;
}

// Locks the awards' rows in lease_locks, in award order (no deadlock between
// writers that lock several).
bool MysqlLedger::lock_awards(std::vector<std::string> awards, std::string* error) {
    std::sort(awards.begin(), awards.end());
    awards.erase(std::unique(awards.begin(), awards.end()), awards.end());
    if (awards.empty()) return true;
    std::string values;
    for (const auto& a : awards) values += (values.empty() ? "(" : ",(") + hex(a) + ")";
    return run("INSERT INTO lease_locks (award) VALUES " + values + " ON DUPLICATE KEY UPDATE award = award", error) &&
           select("SELECT award FROM lease_locks WHERE award IN " + awards_in(awards) + " ORDER BY award FOR UPDATE",
                  [](MYSQL_ROW, const unsigned long*) {}, error);
}

bool MysqlLedger::record_charges(const std::vector<ChargeRecord>& charges, std::vector<ChargeRecord>* inserted,
                                 std::string* error) {
    if (inserted) inserted->clear();
    if (charges.empty()) return true;
    std::vector<ChargeRecord> fresh;
    std::vector<std::string> awards;
    for (const auto& c : charges) awards.push_back(c.award);
    const bool ok = write(
        [&] {
            fresh.clear();
            if (!lock_awards(awards, error)) return false;
            for (const ChargeRecord& c : charges) {
                // ON DUPLICATE KEY rather than INSERT IGNORE: IGNORE would
                // also turn a real error (a value too long) into a warning.
                if (!run(kChargeInsert + charge_values(c) + " ON DUPLICATE KEY UPDATE id = id", error)) return false;
                if (mysql_affected_rows(db_) != 1) continue;
                fresh.push_back(c);
                const std::string usd = c.usd >= 0 ? num(c.usd) : "0";
                if (!run("UPDATE leases SET amount = GREATEST(0, amount - IF(unit = 'usd', " + usd + ", " +
                             num(c.chip_hours) + ")) WHERE award = " + hex(c.award) + " AND cluster = " +
                             hex(c.cluster),
                         error))
                    return false;
            }
            return true;
        },
        error);
    if (!ok) return false;
    if (inserted) *inserted = std::move(fresh);
    return true;
}

bool MysqlLedger::record_adjustment(const Adjustment& a, std::string* error) {
    return write(
        [&] {
            return run("INSERT INTO adjustments (award, unit, amount_micros, reason, who, at) VALUES (" + hex(a.award) +
                           "," + hex(a.unit) + "," + num(a.amount) + "," + hex(a.reason) + "," + hex(a.who) + "," +
                           num(a.at) + ")",
                       error);
        },
        error);
}

namespace {

std::string adjustment_insert(const Adjustment& a) {
    return "INSERT INTO adjustments (award, unit, amount_micros, reason, who, at) VALUES (" + hex(a.award) + "," +
           hex(a.unit) + "," + num(a.amount) + "," + hex(a.reason) + "," + hex(a.who) + "," + num(a.at) + ")";
}

}  // namespace

bool MysqlLedger::record_transfer(const Transfer& t, std::int64_t* id, std::string* error) {
    std::int64_t transfer_id = 0;
    const bool ok = write(
        [&] {
            if (!run(adjustment_insert(t.from), error)) return false;
            const auto from_id = static_cast<std::int64_t>(mysql_insert_id(db_));
            if (!run(adjustment_insert(t.to), error)) return false;
            const auto to_id = static_cast<std::int64_t>(mysql_insert_id(db_));
            if (!run("INSERT INTO transfers (from_adjustment, to_adjustment, from_award, to_award, rate_micros) VALUES (" +
                         num(from_id) + "," + num(to_id) + "," + hex(t.from.award) + "," + hex(t.to.award) + "," +
                         (t.rate_micros > 0 ? num(t.rate_micros) : std::string("NULL")) + ")",
                     error))
                return false;
            transfer_id = static_cast<std::int64_t>(mysql_insert_id(db_));
            return true;
        },
        error);
    if (ok && id) *id = transfer_id;
    return ok;
}

bool MysqlLedger::totals_where(const std::string& where, std::map<std::string, ChargeTotals>* out,
                               std::string* error) const {
    out->clear();
    std::map<std::string, std::pair<WideInt, WideInt>> sums;
    if (!select("SELECT award, SUM(chip_hours_ticks), SUM(COALESCE(usd_ticks, 0)) FROM charges" + where +
                    " GROUP BY award",
                [&](MYSQL_ROW r, const unsigned long* len) {
                    auto& s = sums[text_at(r, len, 0)];
                    s.first += int_at(r, 1);
                    s.second += int_at(r, 2);
                },
                error))
        return false;
    if (!select("SELECT award, unit, SUM(amount_micros) FROM adjustments" + where + " GROUP BY award, unit",
                [&](MYSQL_ROW r, const unsigned long* len) {
                    auto& s = sums[text_at(r, len, 0)];
                    (text_at(r, len, 1) == "usd" ? s.second : s.first) +=
                        static_cast<WideInt>(int_at(r, 2)) * kTicksPerMicro;
                },
                error))
        return false;
    for (const auto& [award, s] : sums) (*out)[award] = ChargeTotals{clamp_ticks(s.first), clamp_ticks(s.second)};
    return true;
}

bool MysqlLedger::totals(std::map<std::string, ChargeTotals>* out, std::string* error) const {
    return totals_where("", out, error);
}

bool MysqlLedger::charges(std::vector<ChargeRecord>* out, std::string* error, const LedgerFilter& filter) const {
    out->clear();
    return select(std::string("SELECT ") + kChargeColumns + kChargeRest + " FROM charges" +
                      where_of(filter, "recorded_at", true).sql + " ORDER BY job_id, run_start, id",
                  [out](MYSQL_ROW r, const unsigned long* len) {
                      ChargeRecord c;
                      read_whole_charge(r, len, c);
                      out->push_back(std::move(c));
                  },
                  error);
}

bool MysqlLedger::adjustments(std::vector<Adjustment>* out, std::string* error, const LedgerFilter& filter) const {
    out->clear();
    if (filter.user) return true;
    return select("SELECT award, unit, amount_micros, reason, who, at, COALESCE(tf.id, tt.id, 0),"
                  " COALESCE(tf.to_award, tt.from_award, '') FROM adjustments"
                  " LEFT JOIN transfers tf ON tf.from_adjustment = adjustments.id"
                  " LEFT JOIN transfers tt ON tt.to_adjustment = adjustments.id" +
                      where_of(filter, "at", false).sql + " ORDER BY adjustments.id",
                  [out](MYSQL_ROW r, const unsigned long* len) {
                      Adjustment a = read_adjustment(r, len);
                      out->push_back(std::move(a));
                  },
                  error);
}

bool MysqlLedger::charge_sums(ChargeGrouping by, const LedgerFilter& filter,
                              const std::function<std::int64_t(std::int64_t)>& day_of,
                              const std::function<void(const ChargeSum&)>& each, std::string* error) const {
    const bool per_day = by == ChargeGrouping::Day;
    if (per_day && !day_of) {
        if (error) *error = "no day function for a report by day";
        return false;
    }
    const std::string cap_count = num(kSaturatedCount);
    const std::string cap_ticks = num(kSaturatedTicks);
    // Each charge capped as build_report caps it; chips x seconds in DECIMAL
    // so that it cannot overflow before the cap.
    const std::string capped = "LEAST(CAST(chips AS DECIMAL(40,0)) * seconds, " + cap_count +
                               "), LEAST(chip_hours_ticks, " + cap_ticks + "), CASE WHEN usd_ticks > 0 THEN LEAST(usd_ticks, " +
                               cap_ticks + ") ELSE 0 END";
    const Where w = where_of(filter, "recorded_at", true);
    if (!per_day) {
        ChargeSum sum;
        return select("SELECT award, `user`, COUNT(*), SUM(LEAST(CAST(chips AS DECIMAL(40,0)) * seconds, " + cap_count +
                          ")), SUM(LEAST(chip_hours_ticks, " + cap_ticks +
                          ")), SUM(CASE WHEN usd_ticks > 0 THEN LEAST(usd_ticks, " + cap_ticks +
                          ") ELSE 0 END) FROM charges" + w.sql + " GROUP BY award, `user` ORDER BY award, `user`",
                      [&](MYSQL_ROW r, const unsigned long* len) {
                          sum.award = text_at(r, len, 0);
                          sum.user = text_at(r, len, 1);
                          sum.runs = int_at(r, 2);
                          // SUM is DECIMAL: past INT64_MAX strtoll saturates, then the cap.
                          sum.chip_seconds = std::min<std::int64_t>(int_at(r, 3), kSaturatedCount);
                          sum.chip_hours = std::min<Ticks>(int_at(r, 4), kSaturatedTicks);
                          sum.usd = std::min<Ticks>(int_at(r, 5), kSaturatedTicks);
                          each(sum);
                      },
                      error);
    }
    // Per day: MySQL has no hook for the caller's day_of, so rows stream in
    // award order and are grouped here; memory holds one award's days.
    struct Acc {
        std::int64_t runs = 0;
        WideInt chip_seconds = 0, chip_hours = 0, usd = 0;
    };
    std::string award;
    std::map<std::int64_t, Acc> days;
    auto flush = [&] {
        ChargeSum sum;
        sum.award = award;
        for (const auto& [day, a] : days) {
            sum.day = day;
            sum.runs = a.runs;
            sum.chip_seconds = static_cast<std::int64_t>(std::min<WideInt>(a.chip_seconds, kSaturatedCount));
            sum.chip_hours = static_cast<Ticks>(std::min<WideInt>(a.chip_hours, kSaturatedTicks));
            sum.usd = static_cast<Ticks>(std::min<WideInt>(a.usd, kSaturatedTicks));
            each(sum);
        }
        days.clear();
    };
    bool first = true;
    const bool ok = select("SELECT award, recorded_at, " + capped + " FROM charges" + w.sql + " ORDER BY award",
                           [&](MYSQL_ROW r, const unsigned long* len) {
                               if (first || award.size() != len[0] || award.compare(0, len[0], r[0], len[0]) != 0) {
                                   if (!first) flush();
                                   first = false;
                                   award = text_at(r, len, 0);
                               }
                               Acc& a = days[day_of(int_at(r, 1))];
                               ++a.runs;
                               a.chip_seconds += int_at(r, 2);
                               a.chip_hours += int_at(r, 3);
                               a.usd += int_at(r, 4);
                           },
                           error);
    if (!ok) return false;
    if (!first) flush();
    return true;
}

bool MysqlLedger::each_charge_by_award(const LedgerFilter& filter, const std::function<void(const ChargeRecord&)>& each,
                                       std::string* error) const {
    ChargeRecord c;
    return select(std::string("SELECT ") + kChargeColumns + ", `user`, recorded_at, cluster, `partition`, account FROM charges" +
                      where_of(filter, "recorded_at", true).sql + " ORDER BY award, job_id, run_start, id",
                  [&](MYSQL_ROW r, const unsigned long* len) {
                      read_charge(r, len, c);
                      c.user.assign(r[7] ? r[7] : "", r[7] ? len[7] : 0);
                      c.recorded_at = int_at(r, 8);
                      c.cluster.assign(r[9] ? r[9] : "", r[9] ? len[9] : 0);
                      c.partition.assign(r[10] ? r[10] : "", r[10] ? len[10] : 0);
                      c.account.assign(r[11] ? r[11] : "", r[11] ? len[11] : 0);
                      each(c);
                  },
                  error);
}

bool MysqlLedger::record_deposit(const Deposit& d, std::int64_t* id, std::string* error) {
    std::int64_t new_id = 0;
    const bool ok = write(
        [&] {
            if (!run("INSERT INTO deposits (award, unit, amount_micros, from_day, until_day, reason, who, at) VALUES (" +
                         hex(d.award) + "," + hex(d.unit) + "," + num(d.amount) + "," + num(d.from) + "," +
                         (d.until ? num(*d.until) : "NULL") + "," + hex(d.reason) + "," + hex(d.who) + "," +
                         num(d.at) + ")",
                     error))
                return false;
            new_id = static_cast<std::int64_t>(mysql_insert_id(db_));
            return true;
        },
        error);
    if (ok && id) *id = new_id;
    return ok;
}

namespace {

// A deposits row, selected as "id, award, unit, amount_micros, from_day,
// until_day, reason, who, at".
Deposit read_deposit(MYSQL_ROW r, const unsigned long* len) {
    Deposit d;
    d.id = int_at(r, 0);
    d.award = text_at(r, len, 1);
    d.unit = text_at(r, len, 2);
    d.amount = int_at(r, 3);
    d.from = static_cast<DayNumber>(int_at(r, 4));
    if (r[5]) d.until = static_cast<DayNumber>(int_at(r, 5));
    d.reason = text_at(r, len, 6);
    d.who = text_at(r, len, 7);
    d.at = int_at(r, 8);
    return d;
}

}  // namespace

bool MysqlLedger::deposits(std::vector<Deposit>* out, std::string* error, const LedgerFilter& filter) const {
    out->clear();
    if (filter.user) return true;
    return select("SELECT id, award, unit, amount_micros, from_day, until_day, reason, who, at FROM deposits" +
                      where_of(filter, "at", false).sql + " ORDER BY id",
                  [out](MYSQL_ROW r, const unsigned long* len) { out->push_back(read_deposit(r, len)); },
                  error);
}

bool MysqlLedger::day_totals(const std::string& award, const std::function<std::int64_t(std::int64_t)>& day_of,
                             std::map<DayNumber, ChargeTotals>* out, std::string* error) const {
    out->clear();
    std::map<DayNumber, std::pair<WideInt, WideInt>> days;
    if (!select("SELECT run_start, chip_hours_ticks, COALESCE(usd_ticks, 0) FROM charges WHERE award = " + hex(award),
                [&](MYSQL_ROW r, const unsigned long*) {
                    auto& day = days[static_cast<DayNumber>(day_of(int_at(r, 0)))];
                    day.first += int_at(r, 1);
                    day.second += int_at(r, 2);
                },
                error))
        return false;
    if (!select("SELECT at, unit, amount_micros FROM adjustments WHERE award = " + hex(award),
                [&](MYSQL_ROW r, const unsigned long* len) {
                    auto& day = days[static_cast<DayNumber>(day_of(int_at(r, 0)))];
                    (text_at(r, len, 1) == "usd" ? day.second : day.first) +=
                        static_cast<WideInt>(int_at(r, 2)) * kTicksPerMicro;
                },
                error))
        return false;
    for (const auto& [day, sums] : days) (*out)[day] = ChargeTotals{clamp_ticks(sums.first), clamp_ticks(sums.second)};
    return true;
}

bool MysqlLedger::alerts(std::vector<AlertRow>* out, std::string* error) const {
    out->clear();
    return select("SELECT award, kind, threshold, recipients, subject, body, created_at, sent_at FROM alerts"
                  " ORDER BY created_at, award, kind, threshold",
                  [out](MYSQL_ROW r, const unsigned long* len) {
                      AlertRow a;
                      a.award = text_at(r, len, 0);
                      a.kind = text_at(r, len, 1);
                      a.threshold = static_cast<int>(int_at(r, 2));
                      a.recipients = text_at(r, len, 3);
                      a.subject = text_at(r, len, 4);
                      a.body = text_at(r, len, 5);
                      a.created_at = int_at(r, 6);
                      a.sent_at = opt_at(r, 7);
                      out->push_back(std::move(a));
                  },
                  error);
}

namespace {
std::string alert_values(const AlertRow& a) {
    return "(" + hex(a.award) + "," + hex(a.kind) + "," + num(a.threshold) + "," + hex(a.recipients) + "," +
           hex(a.subject) + "," + hex(a.body) + "," + num(a.created_at) + "," + num_or_null(a.sent_at) + ")";
}
const char kAlertInsert[] =
    "INSERT INTO alerts (award, kind, threshold, recipients, subject, body, created_at, sent_at) VALUES ";
}  // namespace

bool MysqlLedger::record_alerts(const std::vector<AlertRow>& rows, std::string* error) {
    if (rows.empty()) return true;
    return write(
        [&] {
            for (const AlertRow& a : rows) {
                if (!run(kAlertInsert + alert_values(a) + " ON DUPLICATE KEY UPDATE award = award", error)) return false;
            }
            return true;
        },
        error);
}

bool MysqlLedger::mark_alert_sent(const std::string& award, const std::string& kind, int threshold, std::int64_t at,
                                  std::string* error) {
    return write(
        [&] {
            return run("UPDATE alerts SET sent_at = " + num(at) + " WHERE award = " + hex(award) + " AND kind = " +
                           hex(kind) + " AND threshold = " + num(threshold),
                       error);
        },
        error);
}

namespace {
const char kClosedInsert[] =
    "INSERT INTO instance_time (cluster, node, `partition`, instance_type, kind, start, seconds, chips,"
    " usd_per_hour_micros) VALUES ";
const char kOpenColumns[] =
    "INSERT INTO instance_open (cluster, node, `partition`, instance_type, kind, start, chips, usd_per_hour_micros)"
    " VALUES ";
}  // namespace

bool MysqlLedger::record_instance_changes(const std::string& cluster, const InstanceChanges& changes,
                                          std::string* error) {
    if (changes.empty()) return true;
    return write(
        [&] {
            for (const auto& g : changes.closed) {
                if (!run(kClosedInsert + segment_values(cluster, g, true) + " ON DUPLICATE KEY UPDATE start = start",
                         error))
                    return false;
            }
            for (const auto& g : changes.opened) {
                if (!run(std::string("REPLACE") + (kOpenColumns + 6) + segment_values(cluster, g, false), error))
                    return false;
            }
            for (const auto& node : changes.ended) {
                if (!run("DELETE FROM instance_open WHERE cluster = " + hex(cluster) + " AND node = " + hex(node),
                         error))
                    return false;
            }
            return true;
        },
        error);
}

bool MysqlLedger::instance_segments(const std::optional<std::string>& cluster, std::optional<std::int64_t> since,
                                    std::optional<std::int64_t> until, std::vector<InstanceSegment>* closed,
                                    std::vector<InstanceSegment>* open, std::string* error) const {
    closed->clear();
    open->clear();
    std::string where = " WHERE 1 = 1";
    if (cluster) where += " AND cluster = " + hex(*cluster);
    std::string closed_where = where;
    if (since) closed_where += " AND start + seconds > " + num(*since);
    if (until) closed_where += " AND start < " + num(*until);
    return select(std::string("SELECT ") + kSegmentColumns + ", seconds, chips, usd_per_hour_micros FROM instance_time" +
                      closed_where + " ORDER BY `partition`, instance_type, node, start",
                  [closed](MYSQL_ROW r, const unsigned long* len) { closed->push_back(segment_at(r, len)); }, error) &&
           select(std::string("SELECT ") + kSegmentColumns + ", 0, chips, usd_per_hour_micros FROM instance_open" +
                      where + " ORDER BY node",
                  [open](MYSQL_ROW r, const unsigned long* len) { open->push_back(segment_at(r, len)); }, error);
}

bool MysqlLedger::charged_time(std::optional<std::int64_t> since, std::optional<std::int64_t> until,
                               std::map<std::string, ChargedTime>* out, std::string* error) const {
    out->clear();
    std::string where = " WHERE 1 = 1";
    if (since) where += " AND run_start + seconds > " + num(*since);
    if (until) where += " AND run_start < " + num(*until);
    return select("SELECT `partition`, run_start, seconds, chips, chip_hours_ticks, usd_ticks FROM charges" + where,
                  [&](MYSQL_ROW r, const unsigned long* len) {
                      const std::int64_t start = int_at(r, 1);
                      const std::int64_t seconds = int_at(r, 2);
                      std::int64_t from = start, to = start + seconds;
                      if (since) from = std::max(from, *since);
                      if (until) to = std::min(to, *until);
                      ChargedTime& c = (*out)[text_at(r, len, 0)];
                      ++c.runs;
                      if (seconds <= 0 || to <= from) return;
                      const WideInt part = to - from;
                      c.chip_hours += clamp_ticks(static_cast<WideInt>(int_at(r, 4)) * part / seconds);
                      if (!r[5]) {
                          c.priced = false;
                      } else {
                          c.usd += clamp_ticks(static_cast<WideInt>(int_at(r, 5)) * part / seconds);
                      }
                  },
                  error);
}

bool MysqlLedger::begin_read(std::string* error) const {
    return run("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", error);
}

void MysqlLedger::end_read() const {
    if (db_) {
        const char commit[] = "COMMIT";
        if (mysql_real_query(db_, commit, sizeof commit - 1) != 0) fail(nullptr);
    }
}

bool MysqlLedger::data_version(std::int64_t* out, std::string* error) const {
    std::int64_t version = -1;
    if (!select("SELECT `value` FROM meta WHERE `key` = 'version'",
                [&](MYSQL_ROW r, const unsigned long*) { version = int_at(r, 0); }, error))
        return false;
    if (seen_version_ >= 0 && version != seen_version_) ++changes_;
    seen_version_ = version;
    *out = changes_;
    return true;
}

bool MysqlLedger::update_leases(const std::vector<std::string>& awards,
                                const std::function<std::vector<LeaseRow>(const LeaseSnapshot&)>& plan,
                                std::string* error) {
    std::vector<std::string> sorted = awards;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    if (sorted.empty()) return true;
    return write(
        [&] {
            if (!lock_awards(sorted, error)) return false;
            LeaseSnapshot snapshot;
            const std::string in = awards_in(sorted);
            if (!totals_where(" WHERE award IN " + in, &snapshot.charged, error)) return false;
            if (!select("SELECT award, cluster, unit, amount, held, wanted, renewed_at FROM leases WHERE award IN " + in +
                            " ORDER BY award, cluster",
                        [&](MYSQL_ROW r, const unsigned long* len) {
                            snapshot.leases.push_back(LeaseRow{text_at(r, len, 0), text_at(r, len, 1),
                                                               text_at(r, len, 2), int_at(r, 3), int_at(r, 4),
                                                               int_at(r, 5), int_at(r, 6)});
                        },
                        error))
                return false;
            std::vector<LeaseRow> rows;
            try {
                rows = plan(snapshot);
            } catch (const std::exception& e) {
                if (error) *error = std::string("the lease plan failed: ") + e.what();
                return false;
            }
            for (const LeaseRow& row : rows) {
                if (!std::binary_search(sorted.begin(), sorted.end(), row.award)) {
                    if (error) *error = "the lease plan wrote award " + row.award + ", which it did not lock";
                    return false;
                }
                if (row.amount < 0 || row.held < 0 || row.wanted < 0 || (row.unit != "usd" && row.unit != "chip_hours")) {
                    if (error) *error = "the lease plan wrote an invalid lease for award " + row.award;
                    return false;
                }
                if (!run("INSERT INTO leases (award, cluster, unit, amount, held, wanted, renewed_at) VALUES (" +
                             hex(row.award) + "," + hex(row.cluster) + "," + hex(row.unit) + "," + num(row.amount) +
                             "," + num(row.held) + "," + num(row.wanted) + "," + num(row.renewed_at) +
                             ") ON DUPLICATE KEY UPDATE unit = VALUES(unit), amount = VALUES(amount),"
                             " held = VALUES(held), wanted = VALUES(wanted), renewed_at = VALUES(renewed_at)",
                         error))
                    return false;
            }
            return true;
        },
        error);
}

bool MysqlLedger::record_policy(const std::string& cluster, const PolicyFields& now, const std::map<std::string, std::string>& files,
                                const std::string& default_file, std::int64_t at,
                                std::vector<PolicyChange>* recorded, std::string* error) {
    if (recorded) recorded->clear();
    std::vector<PolicyChange> changes;
    const bool ok = write(
        [&] {
            // One recorder per cluster at a time: its state's rows are read
            // under a lock (FOR UPDATE).
            PolicyFields old;
            if (!select("SELECT award, field, value FROM policy_fields WHERE cluster = " + hex(cluster) + " FOR UPDATE",
                        [&](MYSQL_ROW r, const unsigned long* len) {
                            old[text_at(r, len, 0)][text_at(r, len, 1)] = text_at(r, len, 2);
                        },
                        error))
                return false;
            changes = diff_awards(old, now);
            for (const PolicyChange& c : changes) {
                auto f = files.find(c.award);
                const std::string& file = f != files.end() && !f->second.empty() ? f->second : default_file;
                if (!run("INSERT INTO policy_audit (at, cluster, file, award, field, old_value, new_value) VALUES (" +
                             num(at) + "," + hex(cluster) + "," + hex(file) + "," + hex(c.award) + "," + hex(c.field) + "," + hex(c.old_value) + "," +
                             hex(c.new_value) + ")",
                         error))
                    return false;
                if (c.field == "award") continue;
                const std::string sql = c.new_value.empty()
                                            ? "DELETE FROM policy_fields WHERE cluster = " + hex(cluster) +
                                                  " AND award = " + hex(c.award) + " AND field = " + hex(c.field)
                                            : "REPLACE INTO policy_fields (cluster, award, field, value) VALUES (" +
                                                  hex(cluster) + "," + hex(c.award) + "," + hex(c.field) + "," + hex(c.new_value) + ")";
                if (!run(sql, error)) return false;
            }
            return true;
        },
        error);
    if (ok && recorded) *recorded = std::move(changes);
    return ok;
}

bool MysqlLedger::policy_changes(const LedgerFilter& filter, std::vector<PolicyAuditRow>* out,
                                 std::string* error) const {
    out->clear();
    LedgerFilter f = filter;
    f.user.reset();
    return select("SELECT id, at, file, award, field, old_value, new_value, cluster FROM policy_audit" +
                      where_of(f, "at", false).sql + " ORDER BY id",
                  [out](MYSQL_ROW r, const unsigned long* len) {
                      PolicyAuditRow row;
                      row.id = int_at(r, 0);
                      row.at = int_at(r, 1);
                      row.file = text_at(r, len, 2);
                      row.change = PolicyChange{text_at(r, len, 3), text_at(r, len, 4), text_at(r, len, 5),
                                                text_at(r, len, 6)};
                      row.cluster = text_at(r, len, 7);
                      out->push_back(std::move(row));
                  },
                  error);
}

bool MysqlLedger::leases(std::vector<LeaseRow>* out, std::string* error) const {
    out->clear();
    return select("SELECT award, cluster, unit, amount, held, wanted, renewed_at FROM leases ORDER BY award, cluster",
                  [out](MYSQL_ROW r, const unsigned long* len) {
                      out->push_back(LeaseRow{text_at(r, len, 0), text_at(r, len, 1), text_at(r, len, 2),
                                              int_at(r, 3), int_at(r, 4), int_at(r, 5), int_at(r, 6)});
                  },
                  error);
}

// The counts and highest ids first, the rows after: whatever the server's
// isolation level, a row committed between the two reads makes the rows
// disagree with the counts, and the charge book reads the whole ledger
// (charge_book.h) rather than miss it. Nothing counts rows changed in place
// here (MySQL triggers need privileges a site may not grant): rewrites stays
// 0, see docs/design.md "The charge book".
bool MysqlLedger::book_rows_after(const BookMarks& after, BookRows* out, std::string* error) const {
    *out = BookRows{};
    const bool ok =
        select("SELECT (SELECT COUNT(*) FROM charges), (SELECT COALESCE(MAX(id), 0) FROM charges),"
               " (SELECT COUNT(*) FROM adjustments), (SELECT COALESCE(MAX(id), 0) FROM adjustments),"
               " (SELECT COUNT(*) FROM deposits), (SELECT COALESCE(MAX(id), 0) FROM deposits)",
               [out](MYSQL_ROW r, const unsigned long*) {
                   out->rows = BookMarks{int_at(r, 0), int_at(r, 2), int_at(r, 4)};
                   out->last = BookMarks{int_at(r, 1), int_at(r, 3), int_at(r, 5)};
               },
               error) &&
        select(std::string("SELECT ") + kChargeColumns + kChargeRest + ", id FROM charges WHERE id > " +
                   num(after.charges) + " ORDER BY id",
               [out](MYSQL_ROW r, const unsigned long* len) {
                   ChargeRecord c;
                   read_whole_charge(r, len, c);
                   out->charges.emplace_back(int_at(r, 12), std::move(c));
               },
               error) &&
        select("SELECT award, unit, amount_micros, reason, who, at, COALESCE(tf.id, tt.id, 0),"
               " COALESCE(tf.to_award, tt.from_award, ''), adjustments.id FROM adjustments"
               " LEFT JOIN transfers tf ON tf.from_adjustment = adjustments.id"
               " LEFT JOIN transfers tt ON tt.to_adjustment = adjustments.id WHERE adjustments.id > " +
                   num(after.adjustments) + " ORDER BY adjustments.id",
               [out](MYSQL_ROW r, const unsigned long* len) {
                   Adjustment a = read_adjustment(r, len);
                   out->adjustments.emplace_back(int_at(r, 8), std::move(a));
               },
               error) &&
        select("SELECT id, award, unit, amount_micros, from_day, until_day, reason, who, at FROM deposits WHERE id > " +
                   num(after.deposits) + " ORDER BY id",
               [out](MYSQL_ROW r, const unsigned long* len) { out->deposits.push_back(read_deposit(r, len)); },
               error);
    return ok;
}

bool MysqlLedger::row_counts(std::map<std::string, std::int64_t>* out, std::string* error) const {
    out->clear();
    for (const char* table : kTables) {
        if (!select(std::string("SELECT COUNT(*) FROM ") + table,
                    [&](MYSQL_ROW r, const unsigned long*) { (*out)[table] = int_at(r, 0); }, error))
            return false;
    }
    return true;
}

bool MysqlLedger::instance_rows(std::vector<InstanceRow>* out, std::string* error) const {
    out->clear();
    return select(std::string("SELECT ") + kSegmentColumns +
                      ", seconds, chips, usd_per_hour_micros, cluster FROM instance_time ORDER BY cluster, node, start",
                  [out](MYSQL_ROW r, const unsigned long* len) {
                      out->push_back(InstanceRow{text_at(r, len, 8), segment_at(r, len), false});
                  },
                  error) &&
           select(std::string("SELECT ") + kSegmentColumns +
                      ", 0, chips, usd_per_hour_micros, cluster FROM instance_open ORDER BY cluster, node",
                  [out](MYSQL_ROW r, const unsigned long* len) {
                      out->push_back(InstanceRow{text_at(r, len, 8), segment_at(r, len), true});
                  },
                  error);
}

bool MysqlLedger::import(const LedgerContent& content, std::map<std::string, std::int64_t>* added,
                         std::string* error) {
    std::map<std::string, std::int64_t> counts;
    for (const char* t : kTables) counts[t] = 0;
    auto exists = [&](const std::string& sql, bool* found) {
        *found = false;
        return select(sql, [&](MYSQL_ROW, const unsigned long*) { *found = true; }, error);
    };
    const bool ok = write(
        [&] {
            for (const ChargeRecord& c : content.charges) {
                if (!run(kChargeInsert + charge_values(c) + " ON DUPLICATE KEY UPDATE id = id", error)) return false;
                if (mysql_affected_rows(db_) == 1) {
                    ++counts["charges"];
                    continue;
                }
                bool same = false;
                const std::string key = " WHERE cluster = " + hex(c.cluster) + " AND job_id = " + num(c.job_id) +
                                        " AND run_start = " + num(c.run_start);
                if (!exists("SELECT 1 FROM charges" + key + " AND award = " + hex(c.award) + " AND `user` = " +
                                hex(c.user) + " AND chips = " + num(c.chips) + " AND seconds = " + num(c.seconds) +
                                " AND chip_hours_ticks = " + num(c.chip_hours) + " AND usd_ticks " +
                                (c.usd >= 0 ? "= " + num(c.usd) : std::string("IS NULL")),
                            &same))
                    return false;
                if (!same) {
                    if (error)
                        *error = "the target already holds a different charge for cluster " + c.cluster + ", job " +
                                 num(c.job_id) + ", run start " + num(c.run_start) + " (award " + c.award +
                                 "); nothing was copied";
                    return false;
                }
            }
            for (const Adjustment& a : content.adjustments) {
                bool found = false;
                const std::string values = "award = " + hex(a.award) + " AND unit = " + hex(a.unit) +
                                           " AND amount_micros = " + num(a.amount) + " AND reason = " + hex(a.reason) +
                                           " AND who = " + hex(a.who) + " AND at = " + num(a.at);
                if (!exists("SELECT 1 FROM adjustments WHERE " + values, &found)) return false;
                if (found) continue;
                if (!run("INSERT INTO adjustments (award, unit, amount_micros, reason, who, at) VALUES (" +
                             hex(a.award) + "," + hex(a.unit) + "," + num(a.amount) + "," + hex(a.reason) + "," +
                             hex(a.who) + "," + num(a.at) + ")",
                         error))
                    return false;
                ++counts["adjustments"];
            }
            for (const Deposit& d : content.deposits) {
                bool found = false;
                const std::string values = "award = " + hex(d.award) + " AND unit = " + hex(d.unit) +
                                           " AND amount_micros = " + num(d.amount) + " AND from_day = " + num(d.from) +
                                           " AND until_day " + (d.until ? "= " + num(*d.until) : std::string("IS NULL")) +
                                           " AND reason = " + hex(d.reason) + " AND who = " + hex(d.who) +
                                           " AND at = " + num(d.at);
                if (!exists("SELECT 1 FROM deposits WHERE " + values, &found)) return false;
                if (found) continue;
                if (!run("INSERT INTO deposits (award, unit, amount_micros, from_day, until_day, reason, who, at) VALUES (" +
                             hex(d.award) + "," + hex(d.unit) + "," + num(d.amount) + "," + num(d.from) + "," +
                             (d.until ? num(*d.until) : "NULL") + "," + hex(d.reason) + "," + hex(d.who) + "," +
                             num(d.at) + ")",
                         error))
                    return false;
                ++counts["deposits"];
            }
            for (const AlertRow& a : content.alerts) {
                if (!run(kAlertInsert + alert_values(a) + " ON DUPLICATE KEY UPDATE award = award", error)) return false;
                if (mysql_affected_rows(db_) == 1) ++counts["alerts"];
            }
            for (const InstanceRow& i : content.instances) {
                const std::string sql = i.open ? kOpenColumns + segment_values(i.cluster, i.segment, false) +
                                                     " ON DUPLICATE KEY UPDATE start = start"
                                               : kClosedInsert + segment_values(i.cluster, i.segment, true) +
                                                     " ON DUPLICATE KEY UPDATE start = start";
                if (!run(sql, error)) return false;
                if (mysql_affected_rows(db_) == 1) ++counts[i.open ? "instance_open" : "instance_time"];
            }
            return true;
        },
        error);
    if (ok && added) *added = std::move(counts);
    return ok;
}

}  // namespace grants
