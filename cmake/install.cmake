# `cmake --install`: the binary, its Python code server, the systemd unit, the docs and the
# example workspace. Test binaries have no install rules. The layout is GNUInstallDirs':
#   <prefix>/bin/codeloc
#   <prefix>/share/codeloc/python/codeloc_server/   found by the binary relative to itself
#   <prefix>/lib/systemd/system/codeloc.service      its paths name this prefix
#   <prefix>/share/doc/codeloc/{README.md,docs/,examples/}
#   <sysconfdir>/codeloc/workspace.yaml              /etc for prefix /usr, else <prefix>/etc
# The prefix is the one of the install, not of the configure: `cmake --install --prefix DIR`
# gives a unit that runs DIR/bin/codeloc, and cpack installs with prefix /usr (cmake/package.cmake)
# from any build tree.

install(TARGETS codeloc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(DIRECTORY ${CMAKE_SOURCE_DIR}/python/codeloc_server/
  DESTINATION ${CODELOC_INSTALL_CODE_SERVER_DIR}
  FILES_MATCHING PATTERN "*.py"
  PATTERN "__pycache__" EXCLUDE)

# systemd reads units from <prefix>/lib/systemd/system for the prefixes /usr and /usr/local.
set(CODELOC_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
  "Where the systemd unit is installed, relative to the prefix (or absolute)")
# The unit and /etc/codeloc/workspace.yaml, whose paths depend on the install's prefix.
configure_file(${CMAKE_SOURCE_DIR}/cmake/install_prefixed.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/install_prefixed.cmake @ONLY)
install(SCRIPT ${CMAKE_BINARY_DIR}/cmake/install_prefixed.cmake)

# README's links (docs/cli.md, ...) stay valid: the docs keep their folder.
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB codeloc_docs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${codeloc_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/etc/codeloc/workspace.yaml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
