"""The Java test programs in tests/java/: their classpath, JVM flags and one javac per session.

Shared by test_java_clients.py (Apache's Java clients as test clients) and
test_recipes_interop.py (Curator's InterProcessMutex as a lock contender, its LeaderLatch as an
election participant). Every .java file in tests/java/ is compiled together (they share
Support.java) against Debian's jars in /usr/share/java; compile_classes() runs javac once per
pytest session, whichever module asks first.
"""
import os
import subprocess

import zkfixtures as zf

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_SRC = os.path.normpath(os.path.join(HERE, "..", "java"))
JAR_DIR = "/usr/share/java"
JARS = ["zookeeper", "zookeeper-jute", "curator-client", "curator-framework", "curator-recipes",
        "curator-x-discovery", "guava", "slf4j-api", "slf4j-simple", "jackson-core",
        "jackson-databind", "jackson-annotations", "netty-buffer", "netty-codec", "netty-common",
        "netty-handler", "netty-resolver", "netty-transport", "netty-transport-native-epoll",
        "netty-transport-native-unix-common"]
JAVAC = "/usr/bin/javac"
JVM_FLAGS = ["-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m",
             "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
             "-Dorg.slf4j.simpleLogger.showDateTime=true",
             "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS"]

_classes = None  # the session's compiled classes directory


def classpath():
    return ":".join("%s/%s.jar" % (JAR_DIR, j) for j in JARS)


def java_missing():
    """None if the JDK and every jar are there, else what is missing."""
    missing = [p for p in [JAVAC, zf.JAVA] + classpath().split(":") if not os.path.exists(p)]
    return missing and "missing: " + ", ".join(missing)


def compile_classes(tmp_path_factory):
    """Compiles tests/java/*.java (once per session); returns the classes directory."""
    global _classes
    if _classes is None:
        out = str(tmp_path_factory.mktemp("java-classes"))
        sources = sorted(os.path.join(JAVA_SRC, f) for f in os.listdir(JAVA_SRC)
                         if f.endswith(".java"))
        r = subprocess.run([JAVAC, "-Xlint:all,-path", "-d", out, "-cp", classpath()] + sources,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, "javac failed:\n" + r.stdout + r.stderr
        _classes = out
    return _classes


def java_command(classes, main, args):
    """The command line running program `main` from the compiled classes with args."""
    return ([zf.JAVA] + JVM_FLAGS + ["-cp", classes + ":" + classpath(), main] +
            [str(a) for a in args])


def pump_lines(stream, sink):
    """Thread body: puts each line of stream (without its newline) on sink, then None."""
    for line in iter(stream.readline, ""):
        sink.put(line.rstrip("\n"))
    sink.put(None)
