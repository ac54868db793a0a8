// The spool of uncommitted charges (charge_spool.h): what is written is read
// back exactly, an empty set removes the file, and a damaged file is an
// error that names the line instead of charges silently lost or invented.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/charge_spool.h"
#include "temp_dir.h"

using grants::ChargeRecord;
using grants::ChargeSpool;
using grants::RunCap;
using grants::ShrunkRun;
using grants::read_charge_spool;
using grants::write_charge_spool;
using grants::test::dir_of;

namespace {

ChargeRecord charge(std::uint32_t job, const char* account) {
    ChargeRecord c;
    c.cluster = "clu";
    c.job_id = job;
    c.run_start = 1'700'000'000 + job;
    c.award = "BOT-2025-0117";
    c.user = "alice";
    c.account = account;
    c.partition = "trn1";
    c.chips = 32;
    c.seconds = 3600;
    c.chip_hours = 32LL * 3600 * 1'000'000;
    c.usd = job % 2 ? -1 : 32LL * 3600 * 1'340'000;
    c.recorded_at = 1'700'009'999;
    return c;
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

void test_round_trip(void** state) {
    const std::string path = dir_of(state) + "/ledger.db.uncommitted";
    // Odd text survives: tabs, newlines and percent signs in a name.
    std::vector<ChargeRecord> in{charge(7, "nlp"), charge(8, "we\tird\n%41"), charge(4294967295u, "")};
    ChargeSpool written;
    written.charges = in;
    written.shrunk = {ShrunkRun{9, 1'700'000'100, 32}, ShrunkRun{10, 1'700'000'200, 16}};
    written.caps = {RunCap{9, 1'700'000'100, 36'000}, RunCap{11, 1'700'000'300, 600}};
    std::string error;
    assert_true(write_charge_spool(path, written, &error));
    ChargeSpool read;
    assert_true(read_charge_spool(path, &read, &error));
    const std::vector<ChargeRecord>& out = read.charges;
    assert_int_equal(out.size(), in.size());
    assert_true(read.shrunk == written.shrunk);
    assert_true(read.caps == written.caps);
    for (std::size_t i = 0; i < in.size(); ++i) {
        const ChargeRecord &a = in[i], &b = out[i];
        assert_true(a.cluster == b.cluster && a.job_id == b.job_id && a.run_start == b.run_start &&
                    a.award == b.award && a.user == b.user && a.account == b.account && a.partition == b.partition &&
                    a.chips == b.chips && a.seconds == b.seconds && a.chip_hours == b.chip_hours && a.usd == b.usd &&
                    a.recorded_at == b.recorded_at);
    }
    assert_false(exists(path + ".tmp"));
    // Nothing left: no file, and reading no file is nothing.
    assert_true(write_charge_spool(path, ChargeSpool{}, &error));
    assert_false(exists(path));
    assert_true(read_charge_spool(path, &read, &error));
    assert_true(read.empty());
}

void expect_unreadable(const std::string& path, const std::string& text, const char* message) {
    {
        std::ofstream f(path, std::ios::trunc);
        f << text;
    }
    ChargeSpool out;
    std::string error;
    assert_false(read_charge_spool(path, &out, &error));
    assert_true(out.empty());
    if (error.find(message) == std::string::npos) {
        print_error("error '%s' lacks '%s'\n", error.c_str(), message);
        fail();
    }
}

void test_damaged_files_are_errors(void** state) {
    const std::string path = dir_of(state) + "/spool";
    std::string error;
    assert_true(write_charge_spool(path, ChargeSpool{{charge(7, "nlp")}, {}, {}}, &error));
    std::ifstream f(path);
    std::string good((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    expect_unreadable(path, "", "empty file");
    expect_unreadable(path, "something else\n", ":1: not a slurm-grants spool");
    expect_unreadable(path, good + "clu\t9\n", ":3: malformed charge line");
    expect_unreadable(path, good + good.substr(good.find('\n') + 1).replace(0, 3, "c%Z"), ":3: malformed");
    std::string bad_job = good;
    bad_job.replace(bad_job.find("\t7\t"), 3, "\t-7\t");
    expect_unreadable(path, bad_job, ":2: malformed");
    expect_unreadable(path, good + "%shrunk\t9\t100\n", ":3: malformed shrunk-run line");
    expect_unreadable(path, good + "%shrunk\t9\t100\t0\n", ":3: malformed shrunk-run line");
    expect_unreadable(path, good + "%cap\t9\t100\n", ":3: malformed time-limit line");
    expect_unreadable(path, good + "%cap\t9\t100\t0\n", ":3: malformed time-limit line");
    expect_unreadable(path, good + "%cap\t0\t100\t60\n", ":3: malformed time-limit line");
}

// A spool written before runs' time limits were kept (charges and %shrunk
// lines only, byte for byte what that version wrote) reads as it did.
void test_spool_without_caps_still_read(void** state) {
    const std::string path = dir_of(state) + "/spool";
    {
        std::ofstream f(path);
        f << "slurm-grants uncommitted charges 1\n"
             "clu\t7\t1700000007\tBOT-2025-0117\talice\tnlp\ttrn1\t32\t3600\t115200000000000\t-1\t1700009999\n"
             "%shrunk\t9\t1700000100\t32\n";
    }
    ChargeSpool out;
    std::string error;
    assert_true(read_charge_spool(path, &out, &error));
    assert_int_equal(out.charges.size(), 1);
    assert_int_equal(out.charges[0].job_id, 7);
    assert_int_equal(out.charges[0].chip_hours, 115'200'000'000'000LL);
    assert_true(out.shrunk == (std::vector<ShrunkRun>{ShrunkRun{9, 1'700'000'100, 32}}));
    assert_true(out.caps.empty());
    // A spool holding only a lowered limit is kept (not removed as empty).
    ChargeSpool caps_only;
    caps_only.caps = {RunCap{12, 1'700'000'400, 3600}};
    assert_false(caps_only.empty());
    assert_true(write_charge_spool(path, caps_only, &error));
    assert_true(read_charge_spool(path, &out, &error));
    assert_true(out.caps == caps_only.caps);
}

void test_write_failure_keeps_old_file(void** state) {
    const std::string path = dir_of(state) + "/spool";
    std::string error;
    assert_true(write_charge_spool(path, ChargeSpool{{charge(7, "nlp")}, {}, {}}, &error));
    // The temporary file's place is taken by a directory: the write fails, the old spool stays.
    assert_int_equal(std::system(("mkdir '" + path + ".tmp'").c_str()), 0);
    assert_false(write_charge_spool(path, ChargeSpool{{charge(7, "nlp"), charge(8, "nlp")}, {}, {}}, &error));
    assert_true(error.find("cannot create") != std::string::npos);
    ChargeSpool out;
    assert_true(read_charge_spool(path, &out, &error));
    assert_int_equal(out.charges.size(), 1);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, grants::test::make_dir, grants::test::remove_dir),
        cmocka_unit_test_setup_teardown(test_damaged_files_are_errors, grants::test::make_dir, grants::test::remove_dir),
        cmocka_unit_test_setup_teardown(test_write_failure_keeps_old_file, grants::test::make_dir,
                                        grants::test::remove_dir),
        cmocka_unit_test_setup_teardown(test_spool_without_caps_still_read, grants::test::make_dir,
                                        grants::test::remove_dir),
    };
    return cmocka_run_group_tests_name("charge_spool", tests, nullptr, nullptr);
}
