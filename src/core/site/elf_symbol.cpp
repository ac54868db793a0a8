#include "core/site/elf_symbol.h"

#include <elf.h>

#include <cstdio>
#include <cstring>

namespace grants {

namespace {

template <typename T>
bool read_at(std::string_view image, std::uint64_t offset, T* out) {
    if (offset > image.size() || image.size() - offset < sizeof(T)) return false;
    std::memcpy(out, image.data() + offset, sizeof(T));
    return true;
}

template <typename Ehdr, typename Shdr, typename Sym>
std::optional<std::uint32_t> find_symbol(std::string_view image, std::string_view name, std::string* error) {
    Ehdr eh;
    if (!read_at(image, 0, &eh)) {
        *error = "it is too short to be a shared object";
        return std::nullopt;
    }
    if (eh.e_shentsize != sizeof(Shdr) || eh.e_shnum == 0) {
        *error = "it has no section table";
        return std::nullopt;
    }
    auto section = [&](std::size_t i, Shdr* out) {
        return i < eh.e_shnum && read_at(image, eh.e_shoff + i * sizeof(Shdr), out);
    };
    for (std::size_t i = 0; i < eh.e_shnum; ++i) {
        Shdr symtab;
        if (!section(i, &symtab)) break;
        if (symtab.sh_type != SHT_DYNSYM || symtab.sh_entsize != sizeof(Sym)) continue;
        Shdr strtab;
        if (!section(symtab.sh_link, &strtab)) break;
        for (std::uint64_t k = 0; k < symtab.sh_size / sizeof(Sym); ++k) {
            Sym sym;
            if (!read_at(image, symtab.sh_offset + k * sizeof(Sym), &sym)) break;
            if (sym.st_name >= strtab.sh_size || sym.st_shndx == SHN_UNDEF || sym.st_shndx >= eh.e_shnum) continue;
            const std::uint64_t at = strtab.sh_offset + sym.st_name;
            if (at >= image.size()) continue;
            const std::string_view rest = image.substr(at, strtab.sh_size - sym.st_name);
            if (rest.substr(0, rest.find('\0')) != name) continue;
            Shdr home;
            std::uint32_t value;
            if (!section(sym.st_shndx, &home) || home.sh_type == SHT_NOBITS || sym.st_value < home.sh_addr ||
                !read_at(image, home.sh_offset + (sym.st_value - home.sh_addr), &value)) {
                *error = "its " + std::string(name) + " is not stored in the file";
                return std::nullopt;
            }
            return value;
        }
    }
    *error = "it exports no " + std::string(name);
    return std::nullopt;
}

}  // namespace

std::optional<std::uint32_t> elf_u32_symbol(std::string_view image, std::string_view name, std::string* error) {
    if (image.size() < EI_NIDENT || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0) {
        *error = "it is not an ELF file";
        return std::nullopt;
    }
    if (image[EI_DATA] != ELFDATA2LSB) {
        *error = "it is not a little-endian ELF file";
        return std::nullopt;
    }
    if (image[EI_CLASS] == ELFCLASS64) return find_symbol<Elf64_Ehdr, Elf64_Shdr, Elf64_Sym>(image, name, error);
    if (image[EI_CLASS] == ELFCLASS32) return find_symbol<Elf32_Ehdr, Elf32_Shdr, Elf32_Sym>(image, name, error);
    *error = "it is neither a 32- nor a 64-bit ELF file";
    return std::nullopt;
}

std::optional<std::uint32_t> slurm_version_number(std::string_view text) {
    std::uint32_t parts[3] = {0, 0, 0};
    std::size_t pos = 0;
    for (int i = 0; i < 3; ++i) {
        if (i > 0) {
            if (pos >= text.size() || text[pos] != '.') return std::nullopt;
            ++pos;
        }
        const std::size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 3) {
            parts[i] = parts[i] * 10 + static_cast<std::uint32_t>(text[pos] - '0');
            ++pos;
        }
        if (pos == start || parts[i] > 255) return std::nullopt;
    }
    return (parts[0] << 16) | (parts[1] << 8) | parts[2];
}

std::string slurm_version_text(std::uint32_t number) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%u.%02u.%u", (number >> 16) & 0xffu, (number >> 8) & 0xffu, number & 0xffu);
    return buf;
}

}  // namespace grants
