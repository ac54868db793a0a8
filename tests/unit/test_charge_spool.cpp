// The spool of uncommitted charges (charge_spool.h): what is written is read
// back exactly, an empty set removes the file, a damaged file is an error
// that names the line instead of charges silently lost or invented, and a
// spool anyone but root or SlurmUser could have written, or one holding
// impossible values (a negative charge would credit its award), is refused
// before it is used.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "charge_fixture.h"
#include "cmocka.h"
#include "core/domain/cost_model.h"
#include "core/storage/charge_spool.h"
#include "temp_dir.h"

using grants::ChargeRecord;
using grants::ChargeSpool;
using grants::RunCap;
using grants::BootRecord;
using grants::ShrunkRun;
using grants::write_charge_spool;
using grants::test::dir_of;

namespace {

// The owners a controller running as this user trusts (root always).
const std::vector<uid_t> kOwners{::geteuid()};

bool read_charge_spool(const std::string& path, ChargeSpool* out, std::string* error) {
    return grants::read_charge_spool(path, kOwners, out, error);
}

ChargeRecord charge(std::uint32_t job, const char* account) {
    return TestCharge(job, 1'700'000'000 + job, "BOT-2025-0117")
        .cluster("clu")
        .account(account)
        .run(32, 3600, job % 2 ? -1 : TestCharge::kRate)
        .recorded(1'700'009'999);
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
    written.boots = {BootRecord{12, 1'700'000'400}, BootRecord{4294967295u, 1'700'000'500}};
    std::string error;
    assert_true(write_charge_spool(path, written, &error));
    ChargeSpool read;
    assert_true(read_charge_spool(path, &read, &error));
    const std::vector<ChargeRecord>& out = read.charges;
    assert_int_equal(out.size(), in.size());
    assert_true(read.shrunk == written.shrunk);
    assert_true(read.caps == written.caps);
    assert_true(read.boots == written.boots);
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
    assert_true(write_charge_spool(path, ChargeSpool{{charge(7, "nlp")}, {}, {}, {}}, &error));
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
    expect_unreadable(path, good + "%boot\t9\n", ":3: malformed boot line");
    expect_unreadable(path, good + "%boot\t9\t100\t5\n", ":3: malformed boot line");
    expect_unreadable(path, good + "%boot\t0\t100\n", ":3: malformed boot line");
    expect_unreadable(path, good + "%boot\t9\tx\n", ":3: malformed boot line");
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
    assert_true(out.boots.empty());
    // Likewise a spool holding only a booting job.
    ChargeSpool boots_only;
    boots_only.boots = {BootRecord{13, 1'700'000'600}};
    assert_false(boots_only.empty());
    assert_true(write_charge_spool(path, boots_only, &error));
    assert_true(read_charge_spool(path, &out, &error));
    assert_true(out.boots == boots_only.boots);
    assert_true(out.charges.empty() && out.caps.empty() && out.shrunk.empty());
}

void expect_refused(const std::string& path, const std::vector<uid_t>& owners, const char* message) {
    ChargeSpool out;
    std::string error;
    assert_false(grants::read_charge_spool(path, owners, &out, &error));
    assert_true(out.empty());
    if (error.find(message) == std::string::npos) {
        print_error("error '%s' lacks '%s'\n", error.c_str(), message);
        fail();
    }
}

// Trusted like the ledger, before a byte is read: owner, mode, no link,
// a directory nobody else can write.
void test_untrusted_spool_refused(void** state) {
    const std::string dir = dir_of(state);
    const std::string path = dir + "/ledger.db.uncommitted";
    std::string error;
    assert_true(write_charge_spool(path, ChargeSpool{{charge(7, "nlp")}, {}, {}, {}}, &error));
    ChargeSpool out;
    assert_true(read_charge_spool(path, &out, &error));  // as written: trusted
    assert_int_equal(out.charges.size(), 1);

    assert_int_equal(::chmod(path.c_str(), 0666), 0);
    expect_refused(path, kOwners, "owned or writable by others than root and SlurmUser");
    assert_int_equal(::chmod(path.c_str(), 0620), 0);
    expect_refused(path, kOwners, "owned or writable by others");
    assert_int_equal(::chmod(path.c_str(), 0600), 0);
    // Owned by someone who is neither root nor SlurmUser.
    if (::geteuid() == 0) {
        assert_int_equal(::chown(path.c_str(), 65534, 65534), 0);
        expect_refused(path, kOwners, "owned or writable by others");
        assert_int_equal(::chown(path.c_str(), 0, 0), 0);
    } else {
        expect_refused(path, {}, "owned or writable by others");  // this user is not trusted
    }
    assert_true(read_charge_spool(path, &out, &error));

    // The directory writable by others: anyone could have put the file there.
    assert_int_equal(::chmod(dir.c_str(), 0777), 0);
    expect_refused(path, kOwners, ("is not used: its directory " + dir + " is writable by others").c_str());
    assert_int_equal(::chmod(dir.c_str(), 0700), 0);

    // A link to a good spool is never followed, nor is anything not a regular file.
    const std::string real = dir + "/elsewhere";
    assert_int_equal(std::rename(path.c_str(), real.c_str()), 0);
    assert_int_equal(::symlink(real.c_str(), path.c_str()), 0);
    expect_refused(path, kOwners, "is a symbolic link");
    assert_int_equal(::unlink(path.c_str()), 0);
    assert_int_equal(::mkfifo(path.c_str(), 0600), 0);  // opened without blocking, then refused
    expect_refused(path, kOwners, "not a regular file");
}

// Line by line, only values the accounting pass can produce.
void test_impossible_values_refused(void** state) {
    const std::string path = dir_of(state) + "/spool";
    std::string error;
    // Field numbers: 7 chips, 8 seconds, 9 chip-h ticks, 10 usd ticks, 2 run start, 11 recorded at.
    const auto line_with = [&](int field, const std::string& value) {
        ChargeRecord c = charge(8, "nlp");
        assert_true(write_charge_spool(path, ChargeSpool{{charge(7, "nlp"), c}, {}, {}, {}}, &error));
        std::ifstream f(path);
        std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        // The third line is job 8's: replace its field.
        std::size_t start = text.find('\n', text.find('\n') + 1) + 1;
        for (int i = 0; i < field; ++i) start = text.find('\t', start) + 1;
        const std::size_t end = text.find_first_of("\t\n", start);
        return text.substr(0, start) + value + text.substr(end);
    };
    expect_unreadable(path, line_with(9, "-115200000000"), ":3: a charge with a negative or absurd amount");
    expect_unreadable(path, line_with(10, "-2"), ":3: a charge with a negative or absurd amount");
    expect_unreadable(path, line_with(9, std::to_string(grants::kSaturatedTicks)), ":3: a charge with a negative or absurd amount");
    expect_unreadable(path, line_with(7, "-32"), ":3: a charge with an impossible number of chips");
    expect_unreadable(path, line_with(7, std::to_string(grants::kSpoolMaxChips + 1)), ":3: a charge with an impossible number of chips");
    expect_unreadable(path, line_with(8, "-3600"), ":3: a charge with an impossible number of seconds");
    expect_unreadable(path, line_with(8, std::to_string(grants::kSpoolMaxSeconds + 1)), ":3: a charge with an impossible number of seconds");
    expect_unreadable(path, line_with(2, "-1"), ":3: a charge with a negative time");
    expect_unreadable(path, line_with(11, "-1"), ":3: a charge with a negative time");
    // Shrunk runs too.
    assert_true(write_charge_spool(path, ChargeSpool{{charge(7, "nlp")}, {}, {}, {}}, &error));
    std::ifstream f(path);
    std::string good((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    expect_unreadable(path, good + "%shrunk\t9\t100\t-16\n", ":3: malformed shrunk-run line");
    expect_unreadable(path, good + "%shrunk\t9\t-100\t16\n", ":3: malformed shrunk-run line");
    expect_unreadable(path, good + "%shrunk\t9\t100\t" + std::to_string(grants::kSpoolMaxChips + 1) + "\n",
                      ":3: malformed shrunk-run line");
    // Time-limit lines have a charge's bounds (a cap is what a run may be
    // charged): no negative run start, no more than a century.
    expect_unreadable(path, good + "%cap\t9\t-100\t60\n", ":3: a time limit with a negative time");
    expect_unreadable(path, good + "%cap\t9\t100\t-60\n", ":3: malformed time-limit line");
    expect_unreadable(path, good + "%cap\t9\t100\t" + std::to_string(grants::kSpoolMaxSeconds + 1) + "\n",
                      ":3: a time limit with an impossible number of seconds");
    // Boot lines: an allocation has a start after the epoch.
    expect_unreadable(path, good + "%boot\t9\t-100\n", ":3: a boot with an impossible start time");
    expect_unreadable(path, good + "%boot\t9\t0\n", ":3: a boot with an impossible start time");
    // A cap of the largest limit (an INFINITE one that was lowered) is
    // written as a century, and read back; a century itself is possible.
    {
        ChargeSpool capped;
        capped.caps = {RunCap{9, 100, grants::kSaturatedCount}, RunCap{10, 0, grants::kSpoolMaxSeconds}};
        assert_true(write_charge_spool(path, capped, &error));
        ChargeSpool back;
        assert_true(read_charge_spool(path, &back, &error));
        assert_true(back.caps == (std::vector<RunCap>{RunCap{9, 100, grants::kSpoolMaxSeconds},
                                                      RunCap{10, 0, grants::kSpoolMaxSeconds}}));
    }
    // The edges are possible: no rate (-1), nothing run, the largest values.
    ChargeRecord edge = charge(9, "nlp");
    edge.usd = -1;
    edge.seconds = 0;
    edge.chip_hours = 0;
    ChargeRecord big = charge(10, "nlp");
    big.chips = grants::kSpoolMaxChips;
    big.seconds = grants::kSpoolMaxSeconds;
    big.chip_hours = grants::kSaturatedTicks - 1;
    assert_true(write_charge_spool(path, ChargeSpool{{edge, big}, {}, {}, {}}, &error));
    ChargeSpool out;
    assert_true(read_charge_spool(path, &out, &error));
    assert_int_equal(out.charges.size(), 2);
}

void test_write_failure_keeps_old_file(void** state) {
    const std::string path = dir_of(state) + "/spool";
    std::string error;
    assert_true(write_charge_spool(path, ChargeSpool{{charge(7, "nlp")}, {}, {}, {}}, &error));
    // The temporary file's place is taken by a directory: the write fails, the old spool stays.
    assert_int_equal(std::system(("mkdir '" + path + ".tmp'").c_str()), 0);
    assert_false(write_charge_spool(path, ChargeSpool{{charge(7, "nlp"), charge(8, "nlp")}, {}, {}, {}}, &error));
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
        cmocka_unit_test_setup_teardown(test_untrusted_spool_refused, grants::test::make_dir, grants::test::remove_dir),
        cmocka_unit_test_setup_teardown(test_impossible_values_refused, grants::test::make_dir,
                                        grants::test::remove_dir),
    };
    return cmocka_run_group_tests_name("charge_spool", tests, nullptr, nullptr);
}
