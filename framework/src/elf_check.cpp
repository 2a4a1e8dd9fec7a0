#include "elf_check.hpp"

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

namespace strata::detail {

namespace {

std::string past_the_end(const char* what, std::uint64_t end, std::uint64_t size) {
  return std::string(what) + " end at byte " + std::to_string(end) + " but the file has " + std::to_string(size) +
         " bytes";
}

template <class T>
bool read_at(std::ifstream& in, std::uint64_t offset, T& out) {
  in.seekg(static_cast<std::streamoff>(offset));
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&out), sizeof out));
}

} // namespace

foreign_layout_imports foreign_layout_imports_of(const std::string& path) {
  foreign_layout_imports found;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return found;
  const auto size = static_cast<std::uint64_t>(in.tellg());
  Elf64_Ehdr header{};
  if (!read_at(in, 0, header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_shentsize < sizeof(Elf64_Shdr))
    return found;
  const auto section = [&](std::uint64_t i, Elf64_Shdr& out) {
    return i < header.e_shnum && read_at(in, header.e_shoff + i * header.e_shentsize, out);
  };
  Elf64_Shdr symbols{};
  std::uint16_t i = 0;
  while (i < header.e_shnum && section(i, symbols) && symbols.sh_type != SHT_DYNSYM)
    ++i;
  Elf64_Shdr names{};
  const auto within = [size](const Elf64_Shdr& s) { return s.sh_offset <= size && s.sh_size <= size - s.sh_offset; };
  if (i == header.e_shnum || symbols.sh_type != SHT_DYNSYM || symbols.sh_entsize < sizeof(Elf64_Sym) ||
      !section(symbols.sh_link, names) || !within(symbols) || !within(names))
    return found;
  // Both read whole, once: a seek per symbol costs a read of the file system's each (46 000 for a
  // large library).
  std::vector<char> symbol_table(symbols.sh_size);
  std::vector<char> name_table(names.sh_size + 1, '\0'); // ended, whatever the file holds
  in.seekg(static_cast<std::streamoff>(symbols.sh_offset));
  if (!in.read(symbol_table.data(), static_cast<std::streamsize>(symbol_table.size())))
    return found;
  in.seekg(static_cast<std::streamoff>(names.sh_offset));
  if (!in.read(name_table.data(), static_cast<std::streamsize>(names.sh_size)))
    return found;
  bool names_cxx11_string = false;
  for (std::uint64_t at = 0; at + sizeof(Elf64_Sym) <= symbol_table.size(); at += symbols.sh_entsize) {
    Elf64_Sym symbol{};
    std::memcpy(&symbol, symbol_table.data() + at, sizeof symbol);
    if (symbol.st_name >= names.sh_size)
      continue;
    const char* name = name_table.data() + symbol.st_name;
    // Code that uses the C++11 string too may keep the old one away from the SDK (a file built
    // against a legacy library): not refused.
    if (std::strstr(name, "__cxx1112basic_string") != nullptr)
      names_cxx11_string = true;
    if (symbol.st_shndx != SHN_UNDEF)
      continue;
    // Members of std::basic_string<char> in the old ABI: `Ss` abbreviates it. The C++11 one is
    // std::__cxx11::basic_string, mangled in full.
    if (found.old_string.empty() && (std::strncmp(name, "_ZNSs", 5) == 0 || std::strncmp(name, "_ZNKSs", 6) == 0))
      found.old_string = name;
    // The debug containers' iterators attach to their container through these (libstdc++.so).
    if (found.debug_mode.empty() && std::strstr(name, "11__gnu_debug") != nullptr)
      found.debug_mode = name;
  }
  if (names_cxx11_string)
    found.old_string.clear();
  return found;
}

std::string truncated_elf(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return {};
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  unsigned char ident[EI_NIDENT] = {};
  if (!in.read(reinterpret_cast<char*>(ident), EI_NIDENT) || std::memcmp(ident, ELFMAG, SELFMAG) != 0 ||
      ident[EI_CLASS] != ELFCLASS64)
    return {};
  Elf64_Ehdr header{};
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(&header), sizeof header))
    return past_the_end("its ELF header would", sizeof header, size);
  // Products of 16-bit counts and sizes with offsets below 2^64: no overflow for real files, and
  // a bogus offset near 2^64 only makes the check refuse.
  const auto phdrs_end = header.e_phoff + std::uint64_t{header.e_phnum} * header.e_phentsize;
  if (phdrs_end > size || phdrs_end < header.e_phoff)
    return past_the_end("its program headers", phdrs_end, size);
  if (header.e_shoff != 0) {
    const auto shdrs_end = header.e_shoff + std::uint64_t{header.e_shnum} * header.e_shentsize;
    if (shdrs_end > size || shdrs_end < header.e_shoff)
      return past_the_end("its section headers", shdrs_end, size);
  }
  if (header.e_phentsize < sizeof(Elf64_Phdr))
    return {};
  for (std::uint16_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment{};
    in.seekg(static_cast<std::streamoff>(header.e_phoff + std::uint64_t{i} * header.e_phentsize));
    if (!in.read(reinterpret_cast<char*>(&segment), sizeof segment))
      return past_the_end("its program headers", phdrs_end, size);
    const auto end = segment.p_offset + segment.p_filesz;
    if (segment.p_type == PT_LOAD && (end > size || end < segment.p_offset))
      return past_the_end(("its segment #" + std::to_string(i) + " would").c_str(), end, size);
  }
  return {};
}

} // namespace strata::detail
