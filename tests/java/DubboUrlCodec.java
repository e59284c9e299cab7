import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * What Apache Dubbo's URL.encode and URL.decode do to a string: java.net.URLEncoder.encode(s,
 * "UTF-8") and java.net.URLDecoder.decode(s, "UTF-8"), for comparison with zk::discovery's
 * DubboEncode / DubboDecode.
 *
 * Reads lines "encode HEX" or "decode HEX" (HEX: the UTF-8 bytes of the input, in hex) from
 * standard input and answers each with one line: the result's UTF-8 bytes in hex, or "ERR" when
 * the decoder throws. Hex keeps every byte intact whatever the platform's default charset.
 */
public class DubboUrlCodec {
  static byte[] unhex(String s) {
    byte[] out = new byte[s.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    }
    return out;
  }

  static String hex(String s) {
    StringBuilder b = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      b.append(String.format("%02x", x & 0xff));
    }
    return b.toString();
  }

  public static void main(String[] args) throws Exception {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      int space = line.indexOf(' ');
      String op = space < 0 ? line : line.substring(0, space);
      String arg = new String(unhex(space < 0 ? "" : line.substring(space + 1)),
                              StandardCharsets.UTF_8);
      String result;
      try {
        result = hex(op.equals("encode") ? URLEncoder.encode(arg, "UTF-8")
                                         : URLDecoder.decode(arg, "UTF-8"));
      } catch (IllegalArgumentException e) {
        result = "ERR";
      }
      System.out.println(result);
    }
  }
}
