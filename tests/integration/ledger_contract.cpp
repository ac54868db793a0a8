// The ledger contract, run against either backend (test-ledger-mysql.sh):
//   ledger_contract sqlite FILE        every guarantee of the interface
//   ledger_contract mysql CREDENTIALS  the same, plus leases
//   ledger_contract outage CREDENTIALS a charge while the server is down
//     fails within the timeouts with a clear error, and is written exactly
//     once when it is back (the script stops and starts the server between
//     the lines it sends on stdin).
// Prints "ok N - what" / "not ok N - what" (TAP); exits 1 on any failure.
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../unit/charge_fixture.h"
#include "core/domain/cost_model.h"
#include "core/storage/ledger.h"
#include "core/storage/ledger_config.h"
#include "core/storage/mysql_ledger.h"

using namespace grants;

namespace {

int checks = 0, failures = 0;

void check(bool ok, const std::string& what) {
    ++checks;
    if (!ok) ++failures;
    std::cout << (ok ? "ok " : "not ok ") << checks << " - " << what << std::endl;
}

struct Target {
    bool mysql = false;
    std::string where;
    std::unique_ptr<Ledger> open(std::string* error) const {
        LedgerConfig c;
        if (mysql) {
            c.backend = LedgerBackend::Mysql;
            c.credentials = where;
        } else {
            c.path = where;
        }
        return open_ledger(c, "", {::geteuid()}, false, error);
    }
};

ChargeRecord charge(const std::string& cluster, std::uint32_t job, std::int64_t start, const std::string& award,
                    const std::string& user, Ticks chip_hours, Ticks usd) {
    return TestCharge(job, start, award).cluster(cluster).user(user).amounts(chip_hours, usd);
}

std::int64_t day_of(std::int64_t t) { return t / 86400; }

// The charge book's incremental read (charge_book.h): rows after given
// ids, with every field and their ids, counts and highest ids, all from one
// snapshot; our own writes come back like anyone's.
void book_rows_contract(Ledger* l, Ledger* other, std::int64_t day) {
    std::string error;
    BookRows all, none;
    check(l->book_rows_after(BookMarks{INT64_MAX, INT64_MAX, INT64_MAX}, &none, &error) && none.charges.empty() &&
              none.adjustments.empty() && none.deposits.empty() && none.rows.charges == 5 &&
              none.rows.adjustments == 4 && none.rows.deposits == 2 && none.last.charges > 0 && none.rewrites == 0,
          "book_rows_after above every id: no rows, the counts (" + error + ")");
    check(l->book_rows_after(BookMarks{}, &all, &error) && all.charges.size() == 5 && all.adjustments.size() == 4 &&
              all.deposits.size() == 2,
          "book_rows_after from 0: every row");
    bool ordered = true;
    for (std::size_t i = 1; i < all.charges.size(); ++i) ordered = ordered && all.charges[i - 1].first < all.charges[i].first;
    check(ordered && all.charges.back().first == none.last.charges && all.adjustments.back().first == none.last.adjustments &&
              all.deposits.back().id == none.last.deposits,
          "in id order, the last one the highest id");
    std::vector<ChargeRecord> listed;
    l->charges(&listed, &error);
    std::size_t same = 0;
    for (const auto& [id, c] : all.charges) {
        for (const auto& x : listed) {
            same += x.cluster == c.cluster && x.job_id == c.job_id && x.run_start == c.run_start && x.award == c.award &&
                    x.user == c.user && x.account == c.account && x.partition == c.partition && x.chips == c.chips &&
                    x.seconds == c.seconds && x.chip_hours == c.chip_hours && x.usd == c.usd &&
                    x.recorded_at == c.recorded_at;
        }
    }
    check(same == 5 && all.adjustments[2].second.counterpart == "B" && all.adjustments[3].second.transfer != 0 &&
              all.deposits[1].until && all.deposits[0].award == "A",
          "charges with every field, transfer legs and deposits as listed");

    const BookMarks marks = none.last;
    std::vector<ChargeRecord> fresh;
    Deposit d;
    d.award = "K";  // an award of its own: the leases below count A's and B's
    d.unit = "usd";
    d.amount = 9;
    d.from = 20001;
    d.reason = "more";
    d.who = "root";
    d.at = day + 600;
    std::int64_t id = 0;
    check(other->record_charges({charge("c3", 50, day, "K", "erin", 7, 7)}, &fresh, &error) &&
              l->record_charges({charge("c1", 51, day, "K", "alice", 8, 8)}, &fresh, &error) &&
              other->record_deposit(d, &id, &error) &&
              other->record_adjustment(Adjustment{"K", "usd", 3, "fix", "root", day + 700}, &error),
          "two charges (ours and another connection's), a deposit and an adjustment appended");
    BookRows after;
    check(l->book_rows_after(marks, &after, &error) && after.charges.size() == 2 &&
              after.charges[0].second.cluster == "c3" && after.charges[1].second.cluster == "c1" &&
              after.charges[0].first > marks.charges && after.deposits.size() == 1 && after.deposits[0].id == id &&
              after.adjustments.size() == 1 && after.adjustments[0].second.reason == "fix" && after.rows.charges == 7 &&
              after.rows.deposits == 3 && after.rows.adjustments == 5,
          "book_rows_after the marks: exactly the appended rows, ours included, and the new counts");

    BookRows during;
    check(l->begin_read(&error) && l->book_rows_after(after.last, &during, &error) && during.charges.empty(),
          "a read transaction, nothing new");
    check(other->record_charges({charge("c3", 52, day, "K", "erin", 7, 7)}, &fresh, &error) && fresh.size() == 1,
          "another connection appends during it");
    check(l->book_rows_after(after.last, &during, &error) && during.charges.empty() && during.rows.charges == 7,
          "book_rows_after sees the snapshot: neither the row nor its count");
    l->end_read();
    check(l->book_rows_after(after.last, &during, &error) && during.charges.size() == 1 && during.rows.charges == 8,
          "after end_read it sees both");
}

void contract(const Target& t) {
    std::string error;
    auto l = t.open(&error);
    check(l != nullptr, "open " + t.where + (l ? "" : ": " + error));
    if (!l) return;
    auto other = t.open(&error);
    check(other != nullptr, "a second connection");
    const std::int64_t day = 20000 * 86400LL;
    std::vector<ChargeRecord> in{charge("c1", 10, day + 100, "A", "alice", 1000, 50),
                                 charge("c1", 11, day + 200, "A", "bob", 2000, -1),
                                 charge("c1", 12, day + 86400 + 5, "B", "alice", 3000, 70)};
    std::vector<ChargeRecord> fresh;
    check(l->record_charges(in, &fresh, &error) && fresh.size() == 3, "three new charges recorded (" + error + ")");
    in.push_back(charge("c2", 10, day + 100, "A", "carol", 500, 5));  // same job id, other cluster: new
    check(l->record_charges(in, &fresh, &error) && fresh.size() == 1 && fresh[0].cluster == "c2",
          "re-recording is a no-op; only the new run is inserted");
    std::vector<ChargeRecord> all;
    check(l->charges(&all, &error) && all.size() == 4, "four charges stored, none twice");
    std::map<std::string, ChargeTotals> totals;
    check(l->totals(&totals, &error) && totals["A"].chip_hours == 3500 && totals["A"].usd == 55 &&
              totals["B"].chip_hours == 3000 && totals["B"].usd == 70,
          "totals per award (a charge without a rate adds no dollars)");

    std::int64_t v0 = 0, v1 = 0, v2 = 0;
    check(l->data_version(&v0, &error), "data_version readable");
    Adjustment adj{"A", "chip_hours", 2, "fault", "root", day + 300};
    check(l->record_adjustment(adj, &error), "adjustment recorded");
    check(l->data_version(&v1, &error) && v1 == v0, "our own write leaves data_version alone");
    check(other->record_adjustment(Adjustment{"B", "usd", -1, "credit", "root", day + 400}, &error),
          "an adjustment by another connection");
    check(l->data_version(&v2, &error) && v2 != v1, "another connection's commit changes data_version");
    check(l->totals(&totals, &error) && totals["A"].chip_hours == 3500 + ticks_of(2) &&
              totals["B"].usd == 70 - ticks_of(1),
          "totals include adjustments in their unit");
    std::vector<Adjustment> adjs;
    check(l->adjustments(&adjs, &error) && adjs.size() == 2 && adjs[0].reason == "fault" && adjs[1].amount == -1,
          "adjustments round trip in order");
    LedgerFilter by_user;
    by_user.user = "alice";
    check(l->adjustments(&adjs, &error, by_user) && adjs.empty(), "a user filter leaves adjustments out");
    check(l->charges(&all, &error, by_user) && all.size() == 2, "charges filtered by user");

    Deposit d;
    d.award = "A";
    d.unit = "chip_hours";
    d.amount = 100;
    d.from = 20000;
    d.reason = "supplement";
    d.who = "root";
    d.at = day;
    std::int64_t id1 = 0, id2 = 0;
    check(l->record_deposit(d, &id1, &error) && id1 > 0, "deposit recorded with an id");
    d.until = 20100;
    check(l->record_deposit(d, &id2, &error) && id2 > id1, "a second deposit, a larger id");
    std::vector<Deposit> deps;
    check(l->deposits(&deps, &error) && deps.size() == 2 && !deps[0].until && deps[1].until && *deps[1].until == 20100,
          "deposits round trip");

    std::vector<AlertRow> alerts{{"A", "used", 50, "pi@x", "subj", "body", day, std::nullopt},
                                 {"A", "used", 75, "pi@x", "s2", "b2", day + 1, std::nullopt}};
    check(l->record_alerts(alerts, &error), "alerts recorded");
    alerts.push_back({"B", "used", 50, "pi@y", "s3", "b3", day + 2, std::nullopt});
    check(l->record_alerts(alerts, &error), "alerts recorded again");
    check(l->mark_alert_sent("A", "used", 50, day + 10, &error), "alert marked sent");
    std::vector<AlertRow> rows;
    check(l->alerts(&rows, &error) && rows.size() == 3 && rows[0].sent_at && *rows[0].sent_at == day + 10 &&
              !rows[1].sent_at,
          "alerts: each threshold once, sent_at kept");

    InstanceChanges ch;
    InstanceSegment g;
    g.node = "n1";
    g.partition = "trn1";
    g.instance_type = "trn1.32xlarge";
    g.kind = InstanceKind::Busy;
    g.start = day;
    g.seconds = 600;
    g.chips = 16;
    g.usd_per_hour = 21500000;
    ch.closed.push_back(g);
    InstanceSegment o = g;
    o.node = "n2";
    o.seconds = 0;
    o.kind = InstanceKind::Idle;
    o.usd_per_hour.reset();
    ch.opened.push_back(o);
    check(l->record_instance_changes("c1", ch, &error), "instance changes recorded");
    check(l->record_instance_changes("c1", ch, &error), "instance changes recorded twice");
    std::vector<InstanceSegment> closed, open;
    check(l->instance_segments(std::nullopt, std::nullopt, std::nullopt, &closed, &open, &error) && closed.size() == 1 &&
              open.size() == 1 && closed[0].usd_per_hour && *closed[0].usd_per_hour == 21500000 &&
              !open[0].usd_per_hour && open[0].kind == InstanceKind::Idle,
          "instance segments: once each, NULL price kept");
    check(l->instance_segments(std::string("c2"), std::nullopt, std::nullopt, &closed, &open, &error) &&
              closed.empty() && open.empty(),
          "instance segments of another cluster: none");
    InstanceChanges end;
    end.ended.push_back("n2");
    check(l->record_instance_changes("c1", end, &error) &&
              l->instance_segments(std::nullopt, std::nullopt, std::nullopt, &closed, &open, &error) && open.empty(),
          "an ended node's open segment is gone");
    std::vector<InstanceRow> irows;
    check(l->instance_rows(&irows, &error) && irows.size() == 1 && irows[0].cluster == "c1", "instance rows with cluster");

    std::vector<ChargeSum> sums;
    check(l->charge_sums(ChargeGrouping::User, {}, nullptr, [&](const ChargeSum& s) { sums.push_back(s); }, &error) &&
              sums.size() == 4 && sums[0].award == "A" && sums[0].user == "alice" && sums[0].chip_hours == 1000 &&
              sums[0].chip_seconds == 16 * 3600 && sums[1].user == "bob" && sums[1].usd == 0 && sums[3].award == "B",
          "charge_sums by user, in byte order");
    sums.clear();
    check(l->charge_sums(ChargeGrouping::Day, {}, day_of, [&](const ChargeSum& s) { sums.push_back(s); }, &error) &&
              sums.size() == 2 && sums[0].award == "A" && sums[0].runs == 3 && sums[0].day == 20000 &&
              sums[0].chip_hours == 3500 && sums[1].award == "B" && sums[1].day == 20001,
          "charge_sums by day with the caller's day function");
    std::vector<std::pair<std::string, std::uint32_t>> order;
    check(l->each_charge_by_award({}, [&](const ChargeRecord& c) { order.push_back({c.award, c.job_id}); }, &error) &&
              order.size() == 4 && order[0].first == "A" && order[0].second == 10 && order[3].first == "B",
          "each_charge_by_award in award then job order");
    std::map<DayNumber, ChargeTotals> days;
    check(l->day_totals("A", day_of, &days, &error) && days.size() == 1 &&
              days[20000].chip_hours == 3500 + ticks_of(2),
          "day_totals: charges and adjustments per day");
    std::map<std::string, ChargedTime> charged;
    check(l->charged_time(std::nullopt, std::nullopt, &charged, &error) && charged["trn1"].runs == 4 &&
              charged["trn1"].chip_hours == 6500 && !charged["trn1"].priced,
          "charged_time per partition");

    check(l->begin_read(&error) && l->charges(&all, &error) && all.size() == 4, "a read transaction");
    check(other->record_charges({charge("c1", 99, day, "A", "dave", 1, 1)}, &fresh, &error) && fresh.size() == 1,
          "another connection writes during the read");
    check(l->charges(&all, &error) && all.size() == 4, "the read still sees the snapshot");
    l->end_read();
    check(l->charges(&all, &error) && all.size() == 5, "after end_read the new charge is seen");

    std::map<std::string, std::int64_t> counts;
    check(l->row_counts(&counts, &error) && counts["charges"] == 5 && counts["adjustments"] == 2 &&
              counts["deposits"] == 2 && counts["alerts"] == 3 && counts["instance_time"] == 1,
          "row counts");

    // grantctl transfer: two legs in one transaction, linked by one id.
    {
        std::map<std::string, ChargeTotals> before, after;
        check(l->totals(&before, &error), "totals before a transfer");
        Transfer tr;
        tr.from = Adjustment{"A", "chip_hours", 4, "move", "root", day + 500};
        tr.to = Adjustment{"B", "usd", -6, "move", "root", day + 500};
        tr.rate_micros = 1'500'000;
        std::int64_t id = 0;
        check(l->record_transfer(tr, &id, &error) && id > 0, "transfer recorded with an id");
        check(l->totals(&after, &error) && after["A"].chip_hours == before["A"].chip_hours + ticks_of(4) &&
                  after["B"].usd == before["B"].usd - ticks_of(6),
              "totals count a transfer's legs as adjustments");
        std::vector<Adjustment> legs;
        check(l->adjustments(&legs, &error) && legs.size() == 4 && legs[0].transfer == 0 && legs[2].transfer == id &&
                  legs[3].transfer == id && legs[2].counterpart == "B" && legs[3].counterpart == "A" &&
                  legs[2].amount == 4 && legs[3].amount == -6,
              "both legs listed, linked by the transfer id and naming the other award");
        Transfer bad = tr;
        bad.to.unit = "dollars";  // refused by the table's CHECK: the first leg must not stay
        check(!l->record_transfer(bad, &id, &error), "a transfer whose second leg fails is refused");
        check(l->adjustments(&legs, &error) && legs.size() == 4, "... and writes nothing (one transaction)");
    }

    book_rows_contract(l.get(), other.get(), day);

    // The policy audit: per cluster, against the last recorded state.
    {
        PolicyFields p1{{"A", {{"budget", "{ chip_hours: 100 }"}, {"users", "[alice]"}}}};
        std::vector<PolicyChange> recorded;
        check(l->record_policy("c1", p1, {{"A", "/etc/grants.yaml"}}, "", day, &recorded, &error) &&
                  recorded.size() == 3 && recorded[0].field == "award" && recorded[0].new_value == "added",
              "a first policy: the award added with its fields (" + error + ")");
        check(other->record_policy("c1", p1, {}, "", day + 1, &recorded, &error) && recorded.empty(),
              "the same policy from another connection records nothing");
        PolicyFields p2 = p1;
        p2["A"]["users"] = "[alice, dave]";
        check(l->record_policy("c1", p2, {}, "grants.yaml", day + 2, &recorded, &error) && recorded.size() == 1 &&
                  recorded[0].old_value == "[alice]" && recorded[0].new_value == "[alice, dave]",
              "a member added: one change with old and new values");
        check(l->record_policy("c2", p2, {}, "", day + 3, &recorded, &error) && recorded.size() == 3,
              "another cluster keeps its own state");
        std::vector<PolicyAuditRow> audit;
        LedgerFilter fa;
        fa.award = "A";
        check(l->policy_changes(fa, &audit, &error) && audit.size() == 7 && audit[3].file == "grants.yaml" &&
                  audit[3].cluster == "c1" && audit[6].cluster == "c2" && audit[0].file == "/etc/grants.yaml",
              "policy_changes lists them in order with file and cluster");
    }

    if (!t.mysql) {
        std::vector<LeaseRow> leases;
        check(!l->update_leases({"A"}, [](const LeaseSnapshot&) { return std::vector<LeaseRow>{}; }, &error) &&
                  error.find("leases need a ledger shared") == 0,
              "sqlite: leases need the mysql backend");
        return;
    }

    // Leases.
    LeaseSnapshot seen;
    check(l->update_leases({"A", "B"},
                           [&](const LeaseSnapshot& s) {
                               seen = s;
                               return std::vector<LeaseRow>{{"A", "c1", "chip_hours", 10000, 0, 0, day},
                                                            {"A", "c2", "chip_hours", 4000, 0, 0, day},
                                                            {"B", "c1", "usd", 500, 0, 0, day}};
                           },
                           &error),
          "update_leases writes the plan (" + error + ")");
    check(seen.charged["A"].chip_hours == 3501 + ticks_of(2) + ticks_of(4) && seen.leases.empty(),
          "the plan saw the awards' charges and adjustments");
    std::vector<LeaseRow> leases;
    check(l->leases(&leases, &error) && leases.size() == 3 && leases[0].amount == 10000 && leases[2].unit == "usd",
          "leases read back");
    check(l->record_charges({charge("c1", 200, day, "A", "alice", 3000, 9), charge("c1", 201, day, "B", "bob", 9999, 120),
                             charge("c1", 202, day, "B", "bob", 9999, -1)},
                            &fresh, &error) &&
              fresh.size() == 3,
          "charges that lower leases");
    check(l->record_charges({charge("c1", 200, day, "A", "alice", 3000, 9)}, &fresh, &error) && fresh.empty(),
          "a charge recorded twice lowers nothing twice");
    check(l->leases(&leases, &error) && leases[0].amount == 7000 && leases[1].amount == 4000 && leases[2].amount == 380,
          "each new charge lowers its cluster's lease in the lease's unit, once");
    check(l->record_charges({charge("c1", 203, day, "A", "alice", 999999, 9)}, &fresh, &error) &&
              l->leases(&leases, &error) && leases[0].amount == 0,
          "a lease never goes below 0");
    check(!l->update_leases({"A"}, [](const LeaseSnapshot&) { return std::vector<LeaseRow>{{"B", "c1", "usd", 1, 0, 0, 0}}; },
                            &error) &&
              l->leases(&leases, &error) && leases[2].amount == 380,
          "a plan row for an award not locked is refused, nothing written");
    check(!l->update_leases({"A"},
                            [](const LeaseSnapshot&) -> std::vector<LeaseRow> { throw std::runtime_error("boom"); },
                            &error) &&
              error.find("boom") != std::string::npos,
          "a plan that throws: false with its message");
    // Serialisation: two connections add 1 to the same lease 40 times each.
    auto bump = [&t](int n, int* ok) {
        std::string e;
        auto c = t.open(&e);
        for (int i = 0; c && i < n; ++i) {
            for (int attempt = 0; attempt < 20; ++attempt) {
                if (c->update_leases({"A"},
                                     [](const LeaseSnapshot& s) {
                                         std::vector<LeaseRow> out;
                                         for (auto r : s.leases)
                                             if (r.cluster == "c2") {
                                                 ++r.amount;
                                                 out.push_back(r);
                                             }
                                         return out;
                                     },
                                     &e)) {
                    ++*ok;
                    break;
                }
            }
        }
    };
    int ok1 = 0, ok2 = 0;
    std::thread t1(bump, 40, &ok1), t2(bump, 40, &ok2);
    t1.join();
    t2.join();
    check(ok1 == 40 && ok2 == 40 && l->leases(&leases, &error) && leases[1].amount == 4080,
          "concurrent update_leases serialise on the award (4000 + 80 = " +
              (leases.size() > 1 ? std::to_string(leases[1].amount) : std::string("?")) + ")");
}

void outage(const Target& t) {
    std::string error, line;
    auto l = t.open(&error);
    check(l != nullptr, "open before the outage");
    if (!l) return;
    std::vector<ChargeRecord> fresh;
    const ChargeRecord c = charge("c9", 7, 1000, "Z", "zoe", 123, 4);
    std::cout << "READY" << std::endl;
    std::getline(std::cin, line);  // the server is stopped now
    auto t0 = std::chrono::steady_clock::now();
    const bool wrote = l->record_charges({c}, &fresh, &error);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    check(!wrote && !error.empty(), "a charge while the server is down fails: " + error);
    check(took < 30, "within the timeouts (" + std::to_string(took) + " s)");
    std::map<std::string, ChargeTotals> totals;
    check(!l->totals(&totals, &error), "a read fails too");
    std::cout << "DOWN-DONE" << std::endl;
    std::getline(std::cin, line);  // the server is back
    check(l->record_charges({c}, &fresh, &error) && fresh.size() == 1, "the same ledger object reconnects and writes");
    check(l->record_charges({c}, &fresh, &error) && fresh.empty(), "written once");
    check(l->totals(&totals, &error) && totals["Z"].chip_hours == 123, "totals after the outage");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: ledger_contract sqlite FILE | mysql CREDENTIALS | outage CREDENTIALS\n";
        return 2;
    }
    const std::string mode = argv[1];
    Target t{mode != "sqlite", argv[2]};
    try {
        if (mode == "outage") {
            outage(t);
        } else {
            contract(t);
        }
    } catch (const std::exception& e) {
        check(false, std::string("exception: ") + e.what());
    }
    std::cout << "1.." << checks << "\n";
    return failures ? 1 : 0;
}
