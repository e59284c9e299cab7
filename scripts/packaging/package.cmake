# The Debian packages, built by `cpack -G DEB` in the build dir (scripts/package.sh):
#   zabkeeper      (component server) the programs in /usr/bin, the systemd unit, the conffile
#                  /etc/zabkeeper/zoo.cfg; postinst creates the zabkeeper user and
#                  /var/lib/zabkeeper, postrm purge deletes both
#   zabkeeper-dev  (component dev) the client libraries' headers, archives, CMake package and
#                  pkg-config files (client/install.cmake)
# The server component is EXCLUDE_FROM_ALL: a plain `cmake --install` (client_install_example)
# installs the client package only and never writes to /etc.

set(ZK_PKG_DIR ${PROJECT_SOURCE_DIR}/scripts/packaging)
install(TARGETS zabkeeper zkcli zkbench RUNTIME DESTINATION bin
  COMPONENT server EXCLUDE_FROM_ALL)
install(FILES ${ZK_PKG_DIR}/zabkeeper.service DESTINATION /lib/systemd/system
  COMPONENT server EXCLUDE_FROM_ALL)
install(FILES ${ZK_PKG_DIR}/zoo.cfg DESTINATION /etc/zabkeeper
  COMPONENT server EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/operations.md
  ${PROJECT_SOURCE_DIR}/docs/zkcli.md
  DESTINATION share/doc/zabkeeper COMPONENT server EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME zabkeeper)
set(CPACK_PACKAGE_VENDOR zabkeeper)
set(CPACK_PACKAGE_CONTACT "zabkeeper developers <zabkeeper@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# Staged with DESTDIR, so the absolute destinations (/etc, /lib/systemd) land in the package.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL server dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME zabkeeper)
# The first line of each description is the summary.
set(CPACK_DEBIAN_SERVER_DESCRIPTION
  "ZooKeeper-compatible coordination service\n\
zabkeeper speaks the ZooKeeper wire protocol and replicates with ZAB, so stock ZooKeeper\n\
clients work unmodified. This package holds the server (zabkeeper), the shell (zkcli) and\n\
the load generator (zkbench), a systemd unit and a standalone configuration.")
set(CPACK_DEBIAN_SERVER_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  "${ZK_PKG_DIR}/deb/conffiles;${ZK_PKG_DIR}/deb/postinst;${ZK_PKG_DIR}/deb/prerm;${ZK_PKG_DIR}/deb/postrm")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME zabkeeper-dev)
set(CPACK_DEBIAN_DEV_DESCRIPTION
  "C++ client library for ZooKeeper-compatible services (development files)\n\
The zabkeeper client, its recipes (locks, leader election, caches, ...) and service\n\
discovery, as static libraries with headers, a CMake package and pkg-config files.")
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libssl-dev")

include(CPack)
