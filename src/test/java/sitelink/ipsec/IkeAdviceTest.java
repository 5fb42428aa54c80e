package sitelink.ipsec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import sitelink.ike.IkeFailure;

/** The checklist's remedy fits how the site authenticates: no pre-shared key advice for a site with certificates. */
class IkeAdviceTest {
    @Test
    void authenticationFailedAdvisesByMethod() {
        assertTrue(IkeAdvice.remedy(IkeFailure.AUTHENTICATION_FAILED, false).startsWith("put the same pre-shared key on both sides"));
        String cert = IkeAdvice.remedy(IkeFailure.AUTHENTICATION_FAILED, true);
        assertTrue(cert.contains("trusts the CA of this site's certificate") && !cert.contains("pre-shared"), cert);
        assertEquals(IkeAdvice.remedy(IkeFailure.CERTIFICATE_REVOKED), IkeAdvice.remedy(IkeFailure.CERTIFICATE_REVOKED, true));
        assertEquals("authentication (IKE_AUTH): AUTHENTICATION_FAILED: the peer refused our authentication; " + cert,
                IkeAdvice.explain("AUTHENTICATION_FAILED: the peer refused our authentication", true));
    }
}
