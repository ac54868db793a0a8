// grantctl doctor's rules (core/site/doctor.h), each on plain facts: a problem is
// found with its code and a sentence that says what to do, and a correct
// installation gives nothing. Also the ELF reader that tells which Slurm a
// plugin file is built for, and plugstack.conf as Slurm reads it.
#include <elf.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "cmocka.h"
#include "core/policy/policy_loader.h"
#include "core/site/doctor.h"
#include "core/site/elf_symbol.h"
#include "core/site/plugstack.h"

using namespace grants;

namespace {

bool has(const std::vector<Finding>& fs, const char* code, Severity s, const char* text = "") {
    for (const auto& f : fs) {
        if (f.code == code && f.severity == s && f.message.find(text) != std::string::npos) return true;
    }
    return false;
}

void expect(const std::vector<Finding>& fs, const char* code, Severity s, const char* text = "") {
    if (has(fs, code, s, text)) return;
    std::string all;
    for (const auto& f : fs) all += std::string("\n  ") + severity_name(f.severity) + " " + f.code + ": " + f.message;
    fail_msg("no %s %s with '%s' among:%s", severity_name(s), code, text, all.c_str());
}

void expect_none(const std::vector<Finding>& fs) {
    for (const auto& f : fs)
        fail_msg("unexpected %s %s: %s", severity_name(f.severity), f.code.c_str(), f.message.c_str());
}

// A minimal little-endian ELF64 shared object: sections null, .dynsym,
// .dynstr, .rodata; .rodata at address 0x1000 holds value, and the dynamic
// symbol name points at it.
std::string tiny_elf(const char* name, std::uint32_t value, bool defined = true) {
    const std::string strtab = std::string("\0", 1) + name + std::string("\0", 1);
    Elf64_Sym syms[2]{};
    syms[1].st_name = 1;
    syms[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
    syms[1].st_shndx = defined ? 3 : SHN_UNDEF;
    syms[1].st_value = 0x1000;
    syms[1].st_size = 4;
    const std::size_t off_sym = sizeof(Elf64_Ehdr);
    const std::size_t off_str = off_sym + sizeof syms;
    const std::size_t off_ro = off_str + strtab.size();
    const std::size_t off_sh = off_ro + 4;
    Elf64_Shdr sh[4]{};
    sh[1].sh_type = SHT_DYNSYM;
    sh[1].sh_offset = off_sym;
    sh[1].sh_size = sizeof syms;
    sh[1].sh_entsize = sizeof(Elf64_Sym);
    sh[1].sh_link = 2;
    sh[2].sh_type = SHT_STRTAB;
    sh[2].sh_offset = off_str;
    sh[2].sh_size = strtab.size();
    sh[3].sh_type = SHT_PROGBITS;
    sh[3].sh_offset = off_ro;
    sh[3].sh_size = 4;
    sh[3].sh_addr = 0x1000;
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_type = ET_DYN;
    eh.e_shoff = off_sh;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 4;
    std::string image(reinterpret_cast<const char*>(&eh), sizeof eh);
    image.append(reinterpret_cast<const char*>(syms), sizeof syms);
    image += strtab;
    image.append(reinterpret_cast<const char*>(&value), 4);
    image.append(reinterpret_cast<const char*>(sh), sizeof sh);
    return image;
}

void test_elf_symbol(void**) {
    std::string error;
    auto v = elf_u32_symbol(tiny_elf("plugin_version", 0x160508), "plugin_version", &error);
    assert_true(v.has_value());
    assert_int_equal(*v, 0x160508);
    v = elf_u32_symbol(tiny_elf("plugin_version", 0x180b05), "plugin_version", &error);
    assert_int_equal(*v, 0x180b05);
    assert_false(elf_u32_symbol(tiny_elf("plugin_type", 1), "plugin_version", &error).has_value());
    assert_string_equal(error.c_str(), "it exports no plugin_version");
    assert_false(elf_u32_symbol(tiny_elf("plugin_version", 1, false), "plugin_version", &error).has_value());
    assert_false(elf_u32_symbol("#!/bin/sh\n", "plugin_version", &error).has_value());
    assert_string_equal(error.c_str(), "it is not an ELF file");
    // Cut anywhere: a sentence, never a read past the end.
    const std::string whole = tiny_elf("plugin_version", 7);
    for (std::size_t n = 0; n < whole.size(); ++n) {
        error.clear();
        assert_false(elf_u32_symbol(whole.substr(0, n), "plugin_version", &error).has_value());
        assert_false(error.empty());
    }
}

void test_slurm_versions(void**) {
    assert_int_equal(*slurm_version_number("22.05.8"), 0x160508);
    assert_int_equal(*slurm_version_number("24.11.5-1"), 0x180b05);
    assert_false(slurm_version_number("22.05").has_value());
    assert_false(slurm_version_number("x").has_value());
    assert_string_equal(slurm_version_text(0x160508).c_str(), "22.05.8");
    assert_string_equal(slurm_version_text(0x180b05).c_str(), "24.11.5");
}

void test_job_submit(void**) {
    const PluginFile good{"/usr/lib/slurm/job_submit_grants.so", 0x160508, ""};
    expect_none(check_job_submit("grants", "22.05.8", "/usr/lib/slurm", good));
    expect_none(check_job_submit("lua, job_submit/grants", "22.05.8", "/usr/lib/slurm", good));
    auto fs = check_job_submit("lua", "22.05.8", "/usr/lib/slurm", good);
    expect(fs, "job_submit_not_loaded", Severity::Error, "JobSubmitPlugins=lua");
    expect(fs, "job_submit_not_loaded", Severity::Error, "add grants to JobSubmitPlugins");
    expect(check_job_submit("", "22.05.8", "/x", good), "job_submit_not_loaded", Severity::Error, "(none)");
    // Built for 22.05.7 on a 22.05.8 controller: the micro version counts.
    fs = check_job_submit("grants", "22.05.8", "/usr/lib/slurm", {good.path, 0x160507, ""});
    expect(fs, "job_submit_version_mismatch", Severity::Error, "is built for Slurm 22.05.7 but slurmctld runs 22.05.8");
    expect(fs, "job_submit_version_mismatch", Severity::Error, "rebuild slurm-grants against Slurm 22.05.8");
    expect(check_job_submit("grants", "22.05.8", "/a:/b", {"", std::nullopt, ""}), "job_submit_plugin_not_here",
           Severity::Note, "PluginDir (/a:/b)");
    expect(
        check_job_submit("grants", "22.05.8", "/a", {"/a/job_submit_grants.so", std::nullopt, "it is not an ELF file"}),
        "job_submit_plugin_unreadable", Severity::Warning, "it is not an ELF file");
}

bool no_includes(const std::string&, std::vector<SlurmConfText>*, std::string* error) {
    *error = "none here";
    return false;
}

void test_plugstack(void**) {
    std::vector<std::string> asked;
    auto includes = [&](const std::string& pattern, std::vector<SlurmConfText>* files, std::string*) {
        asked.push_back(pattern);
        if (pattern == "/etc/slurm/plugstack.conf.d/*.conf") {
            files->push_back(
                {"/etc/slurm/plugstack.conf.d/grants.conf", "# ours\nrequired spank_grants.so policy=/x.yaml\n"});
            files->push_back({"/etc/slurm/plugstack.conf.d/pyxis.conf", "optional /usr/lib/pyxis/spank_pyxis.so\n"});
        }
        return true;
    };
    Plugstack s =
        read_plugstack({"/etc/slurm/plugstack.conf", "include plugstack.conf.d/*.conf\n  bogus line\n"}, includes);
    assert_int_equal(asked.size(), 1);
    assert_string_equal(asked[0].c_str(), "/etc/slurm/plugstack.conf.d/*.conf");  // relative to the naming file
    assert_int_equal(s.entries.size(), 2);
    assert_true(s.entries[0].required);
    assert_string_equal(s.entries[0].plugin.c_str(), "spank_grants.so");
    assert_string_equal(s.entries[0].file.c_str(), "/etc/slurm/plugstack.conf.d/grants.conf");
    assert_int_equal(s.entries[0].line, 2);
    assert_int_equal(s.entries[0].args.size(), 1);
    assert_false(s.entries[1].required);
    assert_int_equal(s.problems.size(), 1);
    assert_string_equal(s.problems[0].c_str(),
                        "/etc/slurm/plugstack.conf:2: 'bogus' is not required, optional or include.");
    assert_string_equal(plugin_file_name("/usr/lib/pyxis/spank_pyxis.so").c_str(), "spank_pyxis.so");
    // An include that includes itself stops, with a sentence.
    auto loop = [](const std::string& p, std::vector<SlurmConfText>* files, std::string*) {
        files->push_back({p, "include " + p + "\n"});
        return true;
    };
    s = read_plugstack({"/p.conf", "include /p.conf\n"}, loop);
    assert_false(s.problems.empty());
    s = read_plugstack({"/p.conf", "include /missing/*.conf\nrequired\n"}, no_includes);
    assert_int_equal(s.problems.size(), 2);
    // PluginDir lookup of a bare name: the first directory that has it.
    auto found =
        resolve_plugin("spank_grants.so", "/a:/b/", [](const std::string& p) { return p == "/b/spank_grants.so"; });
    assert_string_equal(found.c_str(), "/b/spank_grants.so");
    assert_string_equal(resolve_plugin("x.so", "/a", [](const std::string&) { return false; }).c_str(), "");
    assert_string_equal(resolve_plugin("/abs/x.so", "/a", [](const std::string&) { return false; }).c_str(),
                        "/abs/x.so");
}

SpankEntry grants_entry(bool required, PluginFile file) {
    return {{"/etc/slurm/plugstack.conf.d/grants.conf", 3, required, "spank_grants.so", {}}, std::move(file)};
}

void test_spank(void**) {
    const PluginFile good{"/usr/lib/slurm/spank_grants.so", 0x160508, ""};
    const Plugstack stack;
    expect_none(check_spank("/etc/slurm/plugstack.conf", stack, "", {grants_entry(true, good)}, "22.05.8"));
    // SPANK plugins match major.minor only.
    expect_none(check_spank("/p", stack, "", {grants_entry(true, {good.path, 0x160502, ""})}, "22.05.8"));
    expect(check_spank("/p", stack, "", {grants_entry(true, {good.path, 0x180b05, ""})}, "22.05.8"),
           "spank_version_mismatch", Severity::Error, "built for Slurm 24.11.5 but slurmctld runs 22.05.8");
    auto fs = check_spank("/etc/slurm/plugstack.conf", stack, "", {}, "22.05.8");
    expect(fs, "spank_not_in_plugstack", Severity::Error, "spank_grants is not in /etc/slurm/plugstack.conf");
    expect(fs, "spank_not_in_plugstack", Severity::Error, "add the line 'required spank_grants.so'");
    expect(check_spank("/p", std::nullopt, "No such file or directory", {}, "22.05.8"), "plugstack_unreadable",
           Severity::Error, "cannot read /p");
    expect(check_spank("/p", stack, "", {grants_entry(false, good)}, "22.05.8"), "spank_optional", Severity::Warning,
           "grants.conf:3 loads spank_grants as optional");
    expect(check_spank("/p", stack, "", {grants_entry(true, {})}, "22.05.8"), "spank_plugin_missing", Severity::Error,
           "every job step fails here");
    expect(check_spank("/p", stack, "", {grants_entry(true, good), grants_entry(true, good)}, "22.05.8"),
           "spank_loaded_twice", Severity::Warning);
    Plugstack bad;
    bad.problems.push_back("/p:2: 'bogus' is not required, optional or include.");
    expect(check_spank("/p", bad, "", {grants_entry(true, good)}, "22.05.8"), "plugstack_problem", Severity::Warning,
           "/p:2: 'bogus' is not required, optional or include: fix that line");
}

std::shared_ptr<const Policy> policy(const char* text) {
    auto load = load_policy_text(text, "grants.yaml");
    if (!load.policy) fail_msg("policy refused: %s", load.errors.front().to_string().c_str());
    return load.policy;
}

const char kPolicy[] =
    "version: 1\n"
    "enforce: { partitions: [trn1, burst], exempt: [cpu] }\n"
    "partitions:\n"
    "  trn1: { chips_per_node: 16 }\n"
    "  burst: { instance_type: features }\n"
    "awards: {}\n";

void test_partitions(void**) {
    auto p = policy(kPolicy);
    PartitionNodes live{{"trn1", {"n1", "n2"}}, {"burst", {"b1"}}, {"cpu", {"n1", "n2", "b1"}}};
    expect_none(check_enforced_partitions_exist(*p, live));
    expect_none(check_partition_overlaps(*p, live));
    live.erase("burst");
    expect(check_enforced_partitions_exist(*p, live), "enforced_partition_missing", Severity::Error,
           "enforce.partitions names burst, which is not a partition of the running Slurm");
    live["debug"] = {"n2"};
    auto fs = check_partition_overlaps(*p, live);
    assert_int_equal(fs.size(), 1);
    expect(fs, "partition_overlap", Severity::Error, "partition debug is not in enforce.partitions but shares 1 node");
}

void test_instance_type_features(void**) {
    auto p = policy(kPolicy);
    const PartitionNodes live{{"trn1", {"n1"}}, {"burst", {"b1", "b2", "b3"}}};
    std::vector<LiveNode> nodes{{"n1", "", false},
                                {"b1", "dynamic,trn1.32xlarge,trn1-32xl,efa", true},
                                {"b2", "dynamic,trn1.2xlarge", true},
                                {"b3", "trn2.48xlarge", true}};
    expect_none(check_instance_type_features(*p, live, nodes));
    nodes[1].features = "dynamic,trn3.huge,efa";
    auto fs = check_instance_type_features(*p, live, nodes);
    assert_int_equal(fs.size(), 1);
    expect(fs, "node_type_unknown", Severity::Error, "1 node (b1, Features dynamic,trn3.huge,efa) name none");
    expect(fs, "node_type_unknown", Severity::Error, "jobs that could land there are refused");
    // With chips_per_node to fall back on: priced, but not as their type.
    auto q = policy(
        "version: 1\nenforce: { partitions: [burst] }\n"
        "partitions: { burst: { instance_type: features, chips_per_node: 16 } }\nawards: {}\n");
    expect(check_instance_type_features(*q, live, nodes), "node_type_unknown", Severity::Warning, "priced as 16 chips");
    // Hidden (powered-down cloud nodes without PrivateData=cloud): told, not guessed.
    nodes[1].features = "dynamic,trn1.32xlarge";
    nodes[1].hidden = true;
    fs = check_instance_type_features(*p, live, nodes);
    assert_int_equal(fs.size(), 1);
    expect(fs, "node_types_hidden", Severity::Note, "1 powered-down cloud node of partition burst is hidden");
    expect(fs, "node_types_hidden", Severity::Note, "PrivateData=cloud");
    nodes[1].hidden = false;
    // A partition that is not priced by features is not looked at.
    nodes[0].features = "whatever";
    auto r = policy(
        "version: 1\nenforce: { partitions: [trn1] }\npartitions: { trn1: { chips_per_node: 16 } }\nawards: {}\n");
    expect_none(check_instance_type_features(*r, live, nodes));
}

void test_cloud_settings(void**) {
    auto p = policy(kPolicy);
    const PartitionNodes live{{"trn1", {"n1"}}, {"burst", {"b1", "b2"}}};
    const std::vector<LiveNode> nodes{{"n1", "", false}, {"b1", "", true}, {"b2", "", true}};
    std::map<std::string, PowerSettings, std::less<>> power{{"trn1", {60, std::nullopt}}, {"burst", {1800, 600}}};
    // trn1 has no cloud node: its settings do not matter.
    expect_none(check_cloud_settings(*p, live, nodes, power));
    power["burst"] = {30, 600};
    expect(check_cloud_settings(*p, live, nodes, power), "resume_timeout_short", Severity::Warning,
           "partition burst has 2 cloud nodes but ResumeTimeout is 30 s");
    power["burst"] = {600, std::nullopt};
    expect(check_cloud_settings(*p, live, nodes, power), "suspend_time_off", Severity::Warning, "never powered down");
    power["burst"] = {600, kMaxSuspendTime};
    expect_none(check_cloud_settings(*p, live, nodes, power));
    power["burst"] = {600, 7200};
    expect(check_cloud_settings(*p, live, nodes, power), "suspend_time_long", Severity::Warning,
           "SuspendTime is 7200 s (120 min)");
    // Slurm's defaults (ResumeTimeout 60 s, no SuspendTime) when nothing is known.
    power.erase("burst");
    auto fs = check_cloud_settings(*p, live, nodes, power);
    assert_int_equal(fs.size(), 2);
}

void test_time_zone(void**) {
    const ZoneInfo utc{"Etc/UTC", "/etc/localtime", "TZif-utc"};
    auto fs = check_time_zone(utc, ZoneInfo{"Etc/UTC", "/etc/localtime", "TZif-utc"}, "");
    assert_int_equal(fs.size(), 1);
    expect(fs, "time_zone", Severity::Note, "slurmctld's time zone, Etc/UTC");
    // Two names of one zone (the same zone file) are the same zone.
    expect_none(std::vector<Finding>(fs.begin() + 1, fs.end()));
    fs = check_time_zone({"UTC", "TZ", "TZif-utc"}, utc, "");
    assert_int_equal(fs.size(), 1);
    fs = check_time_zone({"Pacific/Auckland", "TZ", "TZif-nz"}, utc, "");
    expect(fs, "time_zone_differs", Severity::Warning,
           "grantctl runs in time zone Pacific/Auckland (from TZ) but slurmctld in Etc/UTC");
    expect(fs, "time_zone_differs", Severity::Warning, "TZ=Etc/UTC");
    expect(check_time_zone(utc, std::nullopt, "slurmctld does not run on this host"), "time_zone_unknown",
           Severity::Note, "slurmctld does not run on this host");
}

void test_exit_status(void**) {
    assert_int_equal(doctor_exit_status({}, true), 0);
    assert_int_equal(doctor_exit_status({{Severity::Note, "x", "y"}}, true), 0);
    assert_int_equal(doctor_exit_status({{Severity::Warning, "x", "y"}}, false), 0);
    assert_int_equal(doctor_exit_status({{Severity::Warning, "x", "y"}}, true), 1);
    assert_int_equal(doctor_exit_status({{Severity::Error, "x", "y"}}, false), 1);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elf_symbol),
        cmocka_unit_test(test_slurm_versions),
        cmocka_unit_test(test_job_submit),
        cmocka_unit_test(test_plugstack),
        cmocka_unit_test(test_spank),
        cmocka_unit_test(test_partitions),
        cmocka_unit_test(test_instance_type_features),
        cmocka_unit_test(test_cloud_settings),
        cmocka_unit_test(test_time_zone),
        cmocka_unit_test(test_exit_status),
    };
    return cmocka_run_group_tests_name("doctor", tests, nullptr, nullptr);
}
