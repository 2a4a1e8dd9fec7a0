#include "elf_check.hpp"

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <fstream>

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

std::string old_string_abi_import(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr header{};
  if (!read_at(in, 0, header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_shentsize < sizeof(Elf64_Shdr))
    return {};
  for (std::uint16_t i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr symbols{};
    Elf64_Shdr names{};
    if (!read_at(in, header.e_shoff + std::uint64_t{i} * header.e_shentsize, symbols))
      return {};
    if (symbols.sh_type != SHT_DYNSYM || symbols.sh_entsize < sizeof(Elf64_Sym) ||
        !read_at(in, header.e_shoff + std::uint64_t{symbols.sh_link} * header.e_shentsize, names))
      continue;
    for (std::uint64_t at = 0; at + sizeof(Elf64_Sym) <= symbols.sh_size; at += symbols.sh_entsize) {
      Elf64_Sym symbol{};
      if (!read_at(in, symbols.sh_offset + at, symbol))
        return {};
      if (symbol.st_shndx != SHN_UNDEF || symbol.st_name >= names.sh_size)
        continue;
      char name[64] = {};
      in.seekg(static_cast<std::streamoff>(names.sh_offset + symbol.st_name));
      in.read(name, sizeof name - 1);
      in.clear(); // a name near the file's end reads short
      // Members of std::basic_string<char> in the old ABI: `Ss` abbreviates it. The C++11 one is
      // std::__cxx11::basic_string, mangled in full.
      if (std::strncmp(name, "_ZNSs", 5) == 0 || std::strncmp(name, "_ZNKSs", 6) == 0)
        return name;
    }
  }
  return {};
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
