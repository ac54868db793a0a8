// A small, strict command-line parser shared by grantctl's commands:
// --long VALUE, --long=VALUE, -s VALUE, -sVALUE, flags, positionals, and "--".
// A word that looks like a negative number ("-100", "-2.5") is a positional.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace grants::cli {

struct OptionSpec {
    const char* long_name;  // without "--"
    char short_name;        // 0: none
    bool takes_value;
};

struct ParsedArgs {
    std::map<std::string, std::string> values;  // by long name; the last one given wins
    std::set<std::string> flags;                // by long name
    std::vector<std::string> positionals;

    bool has(const std::string& name) const { return values.count(name) || flags.count(name); }
    const std::string* value(const std::string& name) const {
        auto it = values.find(name);
        return it == values.end() ? nullptr : &it->second;
    }
};

// "" on success, else one sentence saying what is wrong.
std::string parse_options(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                          ParsedArgs* out);

// What a command does with the words that are not options.
enum class Positionals { None, Allowed };

// The start every grantctl command shares: parses ARGS against SPECS plus
// -h/--help into *OUT. Returns the exit status when the command must stop
// here: 0 after printing USAGE for --help, 2 after a usage_error for a bad
// option or, with Positionals::None, for the first word that is not one.
// nullopt: go on with *OUT.
std::optional<int> parse_command(const std::vector<std::string>& args, std::vector<OptionSpec> specs, const char* usage,
                                 const std::string& command, ParsedArgs* out,
                                 Positionals positionals = Positionals::None);

// Prints "grantctl: SENTENCE See 'grantctl COMMAND --help'." and returns 2.
int usage_error(const std::string& command, const std::string& sentence);

// Prints "grantctl: SENTENCE" and returns 1.
int refused(const std::string& sentence);

// --window DAYS (balance, report): a whole number of days, 1 to
// kMaxForecastWindow; nullopt when it is not, window_problem says why.
std::optional<int> parse_window(const std::string& text);
std::string window_problem(const std::string& text);

}  // namespace grants::cli
