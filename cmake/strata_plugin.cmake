# strata_add_plugin(<target> SOURCES ... [LIBRARIES ...])
# Builds a plugin shared library named lib<target>.so into STRATA_PLUGIN_OUTPUT_DIR. A plugin sees
# only the public headers (strata::sdk) and links nothing of the framework.
function(strata_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE strata::sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    LIBRARY_OUTPUT_DIRECTORY ${STRATA_PLUGIN_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # Refuse undefined symbols at link time rather than at dlopen.
  if(NOT STRATA_SANITIZE)
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
endfunction()
