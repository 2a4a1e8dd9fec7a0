# `cmake --install build [--prefix P]` puts in place what a user of Strata needs:
#   bin/strata                          the server and its tools
#   lib/libstrata.so*                   the runtime a host links
#   lib/libstrata_store.so              the Store (SQLite, PostgreSQL) that storing plugins link
#   lib/strata/plugins/*.so             the built-in plugins (layers, exporters, alert handlers)
#   include/strata/                     the public headers (runtime API and plugin SDK)
#   lib/cmake/strata/                   find_package(strata): strata::runtime, strata::sdk, strata_add_plugin()
#   lib/pkgconfig/strata.pc             the same for pkg-config users
#   share/strata/configs/               the default deployment, Grafana dashboard, Prometheus rules
include(CMakePackageConfigHelpers)

install(DIRECTORY framework/include/strata DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT sdk)
install(TARGETS strata_runtime strata_sdk strata_store EXPORT strata_targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set_target_properties(strata_runtime PROPERTIES EXPORT_NAME runtime)
set_target_properties(strata_sdk PROPERTIES EXPORT_NAME sdk)
set_target_properties(strata_store PROPERTIES EXPORT_NAME store)
install(EXPORT strata_targets NAMESPACE strata:: FILE strata-targets.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/strata COMPONENT sdk)

configure_package_config_file(cmake/strata-config.cmake.in ${CMAKE_BINARY_DIR}/strata-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/strata PATH_VARS CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/strata-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/strata-config.cmake ${CMAKE_BINARY_DIR}/strata-config-version.cmake
  cmake/strata_plugin.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/strata COMPONENT sdk)

file(RELATIVE_PATH STRATA_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
configure_file(cmake/strata.pc.in ${CMAKE_BINARY_DIR}/strata.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/strata.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT sdk)

install(TARGETS strata RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(FILES configs/default.yaml DESTINATION ${CMAKE_INSTALL_DATADIR}/strata/configs COMPONENT runtime)
install(DIRECTORY configs/grafana configs/prometheus DESTINATION ${CMAKE_INSTALL_DATADIR}/strata/configs
  COMPONENT runtime)
