// grants.yaml's ledger: mapping and the MySQL credentials file (slurmdbd.conf
// style): what is accepted, and one clear sentence for everything else.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "cmocka.h"
#include "temp_dir.h"
#include "core/policy/policy_loader.h"
#include "core/storage/ledger.h"
#include "core/storage/ledger_config.h"

using namespace grants;
using grants::test::dir_of;
using grants::test::make_dir;
using grants::test::remove_dir;

namespace {

const char kPolicyHead[] =
    "version: 1\n"
    "enforce: { partitions: [trn1] }\n"
    "partitions:\n"
    "  trn1: { chips_per_node: 16, cores_per_chip: 2, usd_per_chip_hour: 1.34 }\n"
    "awards:\n"
    "  A: { pi: alice, members: { users: [alice] }, valid: { from: 2025-01-01, until: 2026-12-31 },"
    " budget: { chip_hours: 100 } }\n";

PolicyLoad load(const std::string& ledger) { return load_policy_text(std::string(kPolicyHead) + ledger, "grants.yaml"); }

bool first_error_is(const PolicyLoad& l, std::size_t line, const std::string& part) {
    if (l.errors.empty()) return false;
    const auto& e = l.errors.front();
    return e.mark.line == line && e.message.find(part) != std::string::npos;
}

void test_ledger_defaults(void**) {
    auto l = load("");
    assert_non_null(l.policy.get());
    assert_true(l.policy->ledger.backend == LedgerBackend::Sqlite);
    assert_true(l.policy->ledger.path.empty());
    assert_string_equal(l.policy->ledger.credentials.c_str(), "/etc/slurm/grants-ledger.conf");
    assert_true(l.policy->ledger.cluster.empty());
}

void test_ledger_keys(void**) {
    auto l = load("ledger: { backend: mysql, credentials: /etc/slurm/ledger.conf, cluster: pcluster-2 }\n");
    assert_non_null(l.policy.get());
    assert_true(l.policy->ledger.backend == LedgerBackend::Mysql);
    assert_string_equal(l.policy->ledger.credentials.c_str(), "/etc/slurm/ledger.conf");
    assert_string_equal(l.policy->ledger.cluster.c_str(), "pcluster-2");
    auto s = load("ledger: { backend: sqlite, path: /var/spool/slurm/grants/ledger.db }\n");
    assert_non_null(s.policy.get());
    assert_string_equal(s.policy->ledger.path.c_str(), "/var/spool/slurm/grants/ledger.db");
}

void test_ledger_errors(void**) {
    assert_true(first_error_is(load("ledger: { backend: postgres }\n"), 7, "'sqlite' or 'mysql'"));
    assert_true(first_error_is(load("ledger: { bakend: mysql }\n"), 7, "bakend"));
    assert_true(first_error_is(load("ledger: { backend: [mysql] }\n"), 7, "ledger.backend"));
    assert_true(first_error_is(load("ledger: mysql\n"), 7, "ledger"));
    assert_true(first_error_is(load("ledger: { path: relative.db }\n"), 7, "absolute"));
    assert_true(first_error_is(load("ledger: { backend: mysql, path: /x.db }\n"), 7, "ledger.path is for backend sqlite"));
    assert_true(first_error_is(load("ledger: { credentials: /etc/x }\n"), 7, "ledger.credentials is for backend mysql"));
    assert_true(first_error_is(load("ledger: { cluster: 'a b' }\n"), 7, "cluster name"));
    // The column is right too.
    auto l = load("ledger:\n  backend: mysql\n  cluster: 7x y\n");
    assert_false(l.errors.empty());
    assert_int_equal(l.errors.front().mark.line, 9);
    assert_int_equal(l.errors.front().mark.column, 12);
}

void test_credentials_parse(void**) {
    std::string error;
    auto c = parse_mysql_credentials(
        "# the grants ledger\n\nStorageHost=db.example.org\nStoragePort = 3307\nstorageuser=grants\n"
        "StoragePass=s3cr=t\nStorageLoc=slurm_grants\n",
        "f", &error);
    assert_true(c.has_value());
    assert_string_equal(c->host.c_str(), "db.example.org");
    assert_int_equal(c->port, 3307);
    assert_string_equal(c->user.c_str(), "grants");
    assert_string_equal(c->password.c_str(), "s3cr=t");
    assert_string_equal(c->database.c_str(), "slurm_grants");
    auto d = parse_mysql_credentials("StorageUser=u\nStorageLoc=db\nStorageSocket=/run/mysqld/mysqld.sock\n", "f", &error);
    assert_true(d.has_value());
    assert_string_equal(d->host.c_str(), "localhost");
    assert_int_equal(d->port, 3306);
    assert_string_equal(d->socket.c_str(), "/run/mysqld/mysqld.sock");
}

void test_credentials_errors(void**) {
    std::string error;
    assert_false((parse_mysql_credentials("StorageUser=u\nStorageLoc=d\nStorageType=mysql\n", "f", &error)).has_value());
    assert_string_equal(error.substr(0, 4).c_str(), "f:3:");
    assert_true(error.find("unknown key 'StorageType'") != std::string::npos);
    assert_false((parse_mysql_credentials("StorageLoc=d\n", "f", &error)).has_value());
    assert_true(error.find("StorageUser is missing") != std::string::npos);
    assert_false((parse_mysql_credentials("StorageUser=u\n", "f", &error)).has_value());
    assert_true(error.find("StorageLoc is missing") != std::string::npos);
    for (const char* port : {"0", "65536", "-1", "33o6", "", "99999999999999999999"}) {
        assert_false((parse_mysql_credentials(std::string("StorageUser=u\nStorageLoc=d\nStoragePort=") + port + "\n",
                                             "f", &error)).has_value());
        assert_true(error.find("f:3: StoragePort must be a port number") == 0);
    }
    assert_false((parse_mysql_credentials("StorageUser u\n", "f", &error)).has_value());
    assert_true(error.find("f:1: expected Key=Value") == 0);
}

void write_file(const std::string& path, const std::string& text, mode_t mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
    assert_int_equal(::chmod(path.c_str(), mode), 0);
}

void test_credentials_file_mode(void** state) {
    const std::string f = dir_of(state) + "/grants-ledger.conf";
    std::string error;
    write_file(f, "StorageUser=u\nStorageLoc=d\n", 0600);
    assert_true(read_mysql_credentials(f, {::geteuid()}, &error).has_value());
    write_file(f, "StorageUser=u\nStorageLoc=d\n", 0640);
    assert_false((read_mysql_credentials(f, {::geteuid()}, &error)).has_value());
    assert_true(error.find("group or others may access it") != std::string::npos);
    write_file(f, "StorageUser=u\nStorageLoc=d\n", 0604);
    assert_false((read_mysql_credentials(f, {::geteuid()}, &error)).has_value());
    assert_false((read_mysql_credentials(dir_of(state) + "/none", {::geteuid()}, &error)).has_value());
    assert_true(error.find("cannot read the ledger credentials") != std::string::npos);
    // Owned by someone who is neither root nor a trusted owner.
    write_file(f, "StorageUser=u\nStorageLoc=d\n", 0600);
    if (::geteuid() == 0) {
        assert_int_equal(::chown(f.c_str(), 12345, 12345), 0);
        assert_false((read_mysql_credentials(f, {}, &error)).has_value());
        assert_true(error.find("owned by uid 12345") != std::string::npos);
    }
    // A symbolic link is refused (O_NOFOLLOW).
    const std::string link = dir_of(state) + "/link.conf";
    assert_int_equal(::symlink(f.c_str(), link.c_str()), 0);
    assert_false((read_mysql_credentials(link, {::geteuid()}, &error)).has_value());
}

void test_open_ledger_sqlite(void** state) {
    LedgerConfig c;
    std::string error;
    auto l = open_ledger(c, dir_of(state) + "/ledger.db", {}, false, &error);
    assert_non_null(l.get());
    assert_string_equal(l->backend(), "sqlite");
    c.backend = LedgerBackend::Mysql;
    c.credentials = dir_of(state) + "/missing.conf";
    assert_null(open_ledger(c, "", {}, false, &error).get());
    assert_true(error.find("missing.conf") != std::string::npos);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ledger_defaults),
        cmocka_unit_test(test_ledger_keys),
        cmocka_unit_test(test_ledger_errors),
        cmocka_unit_test(test_credentials_parse),
        cmocka_unit_test(test_credentials_errors),
        cmocka_unit_test_setup_teardown(test_credentials_file_mode, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_open_ledger_sqlite, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
