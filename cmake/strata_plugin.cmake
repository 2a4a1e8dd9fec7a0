# strata_add_plugin(<target> SOURCES ... [LIBRARIES ...] [TEST_ONLY])
# Builds a plugin shared library named lib<target>.so. A plugin sees only the public headers
# (strata::sdk) and links nothing of the framework; its own symbols are hidden but its entry
# point (weak instantiations of std:: templates stay visible: libstdc++ declares them so).
#
# This file serves both the Strata tree and out-of-tree plugin projects (find_package(strata)
# includes it). In the tree, STRATA_PLUGIN_OUTPUT_DIR is the directory the runtime searches, and
# plugins that are not TEST_ONLY are installed to lib/strata/plugins.
function(strata_add_plugin target)
  cmake_parse_arguments(ARG "TEST_ONLY" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE strata::sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(STRATA_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${STRATA_PLUGIN_OUTPUT_DIR})
  endif()
  # Refuse undefined symbols at link time rather than at dlopen.
  if(NOT STRATA_SANITIZE)
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  if(STRATA_INSTALL_PLUGINS AND NOT ARG_TEST_ONLY)
    # lib/strata/plugins/ → lib/, where the libraries a plugin may link (libstrata_store) are.
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/../..")
    install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/strata/plugins COMPONENT runtime)
  elseif(NOT STRATA_INSTALL_PLUGINS)
    # Out of tree: an installed copy keeps the directories of the libraries it links from the
    # Strata install (libstrata_store), as the build's copy does; without them it loaded only
    # after another layer had loaded those libraries.
    set_target_properties(${target} PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
  endif()
endfunction()
