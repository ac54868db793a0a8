// grantctl alerts: tells PIs and managers when their awards cross a
// threshold of budget used or of days before the end (core/domain/alerts.h), once
// per threshold, through slurm.conf's MailProg, remembering in the ledger
// what it told. Runs outside slurmctld: from the shipped systemd timer.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <iostream>
#include <set>

#include "cli/commands.h"
#include "cli/controller_query.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/local_time.h"
#include "cli/options.h"
#include "cli/row_output.h"
#include "cli/slurm_conf.h"
#include "core/base/text.h"
#include "core/domain/alerts.h"
#include "core/policy/policy_file.h"

namespace grants::cli {

namespace {

const char kAlertsUsage[] =
    "Usage: grantctl alerts (--send | --dry-run) [--json] [-o FIELDS] [--parsable2] [-n|--noheader]\n"
    "                       [--ledger FILE] [--policy FILE]\n"
    "\n"
    "Tell each award's PI and managers (and its members, where the policy says so)\n"
    "when the award crosses a threshold of budget used (charged and held, default\n"
    "50/80/95/100 %) or of days before its end (default 30/7), once per threshold.\n"
    "The figures come from slurmctld; messages go through slurm.conf's MailProg\n"
    "(MailProg -s SUBJECT USER, the text on standard input), and the ledger\n"
    "remembers what was told, so a restart never repeats or loses one. A message\n"
    "that could not be sent is tried again by the next run. Run it from the\n"
    "shipped systemd timer on the controller host, as root or SlurmUser.\n"
    "\n"
    "Options:\n"
    "  --send           send what is due and record it in the ledger\n"
    "  --dry-run        print what would be sent; send and record nothing\n"
    "  --json           print JSON\n"
    "  -o, --format FIELDS  one row per alert with these fields, comma-separated, any\n"
    "                   case: state, award, kind, threshold, recipients, subject\n"
    "                   (or table, csv, json)\n"
    "  --parsable2      rows with fields separated by '|' (sacct's)\n"
    "  -n, --noheader   rows without a header line\n"
    "  --ledger FILE    default: <StateSaveLocation>/grants/ledger.db from slurm.conf\n"
    "  --policy FILE    default: grants.yaml next to slurm.conf\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 success (nothing due is success), 1 refused or a message not sent,\n"
    "2 usage error.\n";

// Runs MailProg -s SUBJECT RECIPIENT with body on its standard input;
// "" on success, else why not.
std::string run_mail_prog(const std::string& prog, const std::string& subject, const std::string& recipient,
                          const std::string& body) {
    int in[2];
    if (::pipe(in) != 0) return std::string("cannot create a pipe: ") + std::strerror(errno);
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(in[0]);
        ::close(in[1]);
        return std::string("cannot fork: ") + std::strerror(errno);
    }
    if (pid == 0) {
        ::dup2(in[0], STDIN_FILENO);
        ::close(in[0]);
        ::close(in[1]);
        const char* argv[] = {prog.c_str(), "-s", subject.c_str(), recipient.c_str(), nullptr};
        ::execv(prog.c_str(), const_cast<char* const*>(argv));
        ::_exit(127);
    }
    ::close(in[0]);
    // A MailProg that exits without reading must not kill us with SIGPIPE.
    struct sigaction ignore {}, old {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old);
    std::size_t done = 0;
    while (done < body.size()) {
        const ssize_t n = ::write(in[1], body.data() + done, body.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(in[1]);
    ::sigaction(SIGPIPE, &old, nullptr);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return prog + " could not be run";
    if (WIFEXITED(status)) return prog + " exited with status " + std::to_string(WEXITSTATUS(status));
    return prog + " was killed by signal " + std::to_string(WTERMSIG(status));
}

std::string alert_json(const AlertRow& r, const std::string& state) {
    return "{\"award\":" + json_string(r.award) + ",\"kind\":" + json_string(r.kind) +
           ",\"threshold\":" + std::to_string(r.threshold) + ",\"recipients\":" + json_string(r.recipients) +
           ",\"subject\":" + json_string(r.subject) + ",\"state\":" + json_string(state) + "}";
}

}  // namespace

int run_alerts(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop = parse_command(args,
                                  {{"send", 0, false},
                                   {"dry-run", 0, false},
                                   {"json", 0, false},
                                   {"format", 'o', true},
                                   {"parsable2", 0, false},
                                   {"noheader", 'n', false},
                                   {"ledger", 0, true},
                                   {"policy", 0, true}},
                                  kAlertsUsage, "alerts", &a))
        return *stop;
    const std::vector<std::string> fields = {"state", "award", "kind", "threshold", "recipients", "subject"};
    RowOutput output;
    if (auto stop = parse_row_output(a, "alerts", fields, &output)) return *stop;
    const bool as_json = output.format == "json";
    // Slurm's styles: one row per alert, printed at the end.
    const bool as_rows = !as_json && (output.format == "csv" || output.style.kind != RowStyle::Kind::Table ||
                                      !output.style.header || !output.style.fields.empty());
    std::vector<std::vector<std::string>> table_rows;
    if (a.has("send") == a.has("dry-run")) {
        return usage_error("alerts", "say --send to send what is due, or --dry-run to see it.");
    }
    const bool send = a.has("send");
    const std::string policy_path = a.value("policy") ? *a.value("policy") : default_policy_path();
    PolicyFileLoad load = load_trusted_policy_file(policy_path, trusted_owners(slurm_conf_path()));
    if (!load.policy) {
        return refused("cannot use the policy " + policy_path + " (run grantctl check for details).");
    }
    std::string error;
    auto answer = ask_controller(QueryKind::Metrics, QueryJob{}, &error);
    if (!answer) return refused("cannot ask slurmctld for the awards' figures: " + error);
    if (!answer->refused.empty()) return refused(answer->refused);

    std::string ledger_path;
    std::unique_ptr<Ledger> ledger;
    if (send) {
        if (auto stop = open_ledger_as_owner(a.value("ledger"), "alerts", &ledger_path, &ledger, a.value("policy")))
            return *stop;
    } else if (auto stop = open_ledger_to_read(a.value("ledger"), load.policy->ledger, "", &ledger_path, &ledger)) {
        return *stop;
    }
    std::vector<AlertRow> rows;
    if (!ledger->alerts(&rows, &error)) return refused("cannot read the alerts of " + ledger_path + ": " + error + ".");
    RecordedAlerts recorded = recorded_alerts(rows);
    std::vector<AlertRow> to_send = std::move(recorded.unsent);  // first what earlier runs could not send
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    const std::string cluster = slurm_conf_value(slurm_conf_path(), "ClusterName").value_or("(unnamed)");
    std::vector<AlertRow> due = due_alerts(*load.policy, answer->awards, recorded.known, local_day_of(now), now, cluster);
    if (send && !due.empty() && !ledger->record_alerts(due, &error)) {
        return refused("cannot record the alerts in " + ledger_path + ": " + error + "; nothing was sent.");
    }
    for (const AlertRow& r : due) {
        if (!r.subject.empty()) to_send.push_back(r);
    }

    const std::string mail_prog = slurm_conf_value(slurm_conf_path(), "MailProg").value_or("/bin/mail");
    std::vector<std::string> failures;
    std::vector<std::string> unsafe;  // recipients MailProg was not given
    std::string json = "{\"alerts\":[";
    std::size_t n = 0;
    for (const AlertRow& r : to_send) {
        std::string state = send ? "sent" : "due";
        if (send) {
            // Every recipient in turn; the first failure stops the message.
            // A name MailProg could misread is never passed to it (the
            // others are told; the run ends with status 1 saying so).
            std::string why = r.recipients.empty() ? "the award has no PI or manager to tell" : "";
            for (std::string_view who : split(r.recipients, ',')) {
                if (!why.empty()) break;
                if (who.empty()) continue;
                if (std::string bad = mail_recipient_problem(who); !bad.empty()) {
                    unsafe.push_back(r.subject + ": " + bad);
                    continue;
                }
                why = run_mail_prog(mail_prog, r.subject, std::string(who), r.body);
            }
            if (why.empty() && !ledger->mark_alert_sent(r.award, r.kind, r.threshold, now, &error)) {
                why = "sent, but the ledger did not record it (" + error + "); it may be sent again";
            }
            if (!why.empty()) {
                state = "not sent";
                failures.push_back(r.subject + ": " + why);
            }
        }
        if (as_json) {
            json += (n++ ? "," : "") + alert_json(r, state);
        } else if (as_rows) {
            table_rows.push_back({state, r.award, r.kind, std::to_string(r.threshold), r.recipients, r.subject});
        } else {
            std::cout << (send ? (state == "sent" ? "sent" : "NOT SENT") : "would send") << ": " << r.subject
                      << " -> " << (r.recipients.empty() ? "(nobody)" : r.recipients) << "\n";
        }
    }
    if (as_json) {
        std::cout << json << "]}\n";
    } else if (as_rows) {
        print_rows(std::cout, fields, {false, false, false, true, false, false}, table_rows, output.style);
    } else if (to_send.empty()) {
        std::cout << "No alert is due.\n";
    }
    std::cout.flush();
    if (!failures.empty()) {
        return refused(std::to_string(failures.size()) + " alert(s) not sent, to be tried again by the next run: " +
                       failures.front() + (failures.size() > 1 ? " (and more)" : "") + ".");
    }
    if (!unsafe.empty()) {
        return refused(std::to_string(unsafe.size()) + " recipient(s) not given to MailProg, whose names it could misread: " +
                       unsafe.front() + (unsafe.size() > 1 ? " (and more)" : "") +
                       "; correct the name in the policy (the other recipients were told).");
    }
    return kExitOk;
}

}  // namespace grants::cli
