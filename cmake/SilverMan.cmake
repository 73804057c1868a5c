# cmake -P script: make one man page's scdoc source from its .scd.in.
#   -DIN=page.scd.in -DOUT=page.scd -DCOMMANDS=node/commands.h
#   -DVERSION=... -DNET_PATH=... -DDOCDIR=...
# @SILVER_COMMANDS@ becomes every line of the command table (node/commands.h),
# @SILVER_NET_COMMANDS@ its SILVER_NET lines only, so that the man pages list
# the commands the programs have.
file(READ ${COMMANDS} table)
# ";" separates CMake list items: keep it out of the way while matching.
string(REPLACE ";" "@SEMICOLON@" table "${table}")
# SILVER_LOCAL("name", function, "args", N_("help"))  (args and help may wrap)
string(REGEX MATCHALL "SILVER_(LOCAL|NET)\\(\"[^\"]*\",[ \t\n]*[a-z_]+,[ \t\n]*\"[^\"]*\",[ \t\n]*N_\\(\"[^\"]*\"\\)\\)"
  entries "${table}")
set(all "")
set(net "")
foreach(e IN LISTS entries)
  set(re "^SILVER_([A-Z]+)\\(\"([^\"]*)\",[ \t\n]*[a-z_]+,[ \t\n]*\"([^\"]*)\",[ \t\n]*N_\\(\"([^\"]*)\"\\)\\)$")
  string(REGEX REPLACE "${re}" "\\1" kind "${e}")
  string(REGEX REPLACE "${re}" "\\2" name "${e}")
  string(REGEX REPLACE "${re}" "\\3" args "${e}")
  string(REGEX REPLACE "${re}" "\\4" help "${e}")
  # scdoc: * and _ are markup, \ escapes them.
  foreach(v args help)
    string(REPLACE "\\" "\\\\" ${v} "${${v}}")
    string(REPLACE "*" "\\*" ${v} "${${v}}")
    string(REPLACE "_" "\\_" ${v} "${${v}}")
  endforeach()
  string(REPLACE "@SEMICOLON@" ";" help "${help}")
  string(REPLACE "@SEMICOLON@" ";" args "${args}")
  set(item "*${name}* ${args}\n\t${help}.\n\n")
  string(APPEND all "${item}")
  if(kind STREQUAL "NET")
    string(APPEND net "${item}")
  endif()
endforeach()
list(LENGTH entries n)
if(n LESS 10)
  message(FATAL_ERROR "${COMMANDS}: found only ${n} commands; has the table's form changed?")
endif()
string(STRIP "${all}" SILVER_COMMANDS)
string(STRIP "${net}" SILVER_NET_COMMANDS)
set(SILVER_VERSION ${VERSION})
set(SILVER_NET_PATH ${NET_PATH})
set(SILVER_DOCDIR ${DOCDIR})
configure_file(${IN} ${OUT} @ONLY)
