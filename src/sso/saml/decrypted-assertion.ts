import { decryptXml } from '@node-saml/node-saml/lib/xml.js';
import { UnsafeXmlError, parseSafeXml } from './xml-safety.ts';
import { fail } from './failures.ts';

/**
 * An EncryptedAssertion decrypted once more, with the library and the key node-saml used, and
 * parsed: for what node-saml's result leaves out (the assertion's own signature, which the
 * enveloped-signature transform strips from the verified copy). It costs one RSA decryption,
 * unless the plaintext the same key gave is passed in (`decrypted`).
 */
export async function decryptAssertion(encrypted: Element, key: string, decrypted?: string): Promise<Element> {
  const xml: string =
    decrypted ?? (await decryptXml(encrypted.toString(), key).catch((err: unknown) => fail('saml_decryption_failed', (err as Error)?.message ?? String(err))));
  try {
    const root = parseSafeXml(xml, { allowComments: true }).documentElement as unknown as Element;
    return root.localName === 'Assertion' ? root : fail('saml_decryption_failed', 'the EncryptedAssertion does not hold an Assertion');
  } catch (err) {
    if (err instanceof UnsafeXmlError) return fail('saml_decryption_failed', err.message);
    throw err;
  }
}
