package mfa

import "encoding/xml"

// The PSKC document shape (RFC 6030 section 4 onwards), reduced to the
// elements an OATH import reads. Tags carry local names only, so the pskc,
// xenc, xenc11 and pkcs5 prefixes used by the RFC's examples all match.

type pskcContainer struct {
	XMLName       xml.Name       `xml:"KeyContainer"`
	Version       string         `xml:"Version,attr"`
	EncryptionKey *pskcKeyInfo   `xml:"EncryptionKey"`
	MACMethod     *pskcMACMethod `xml:"MACMethod"`
	Packages      []pskcPackage  `xml:"KeyPackage"`
}

type pskcKeyInfo struct {
	KeyName    string          `xml:"KeyName"`
	DerivedKey *pskcDerivedKey `xml:"DerivedKey"`
}

type pskcDerivedKey struct {
	Method struct {
		Algorithm string `xml:"Algorithm,attr"`
		Params    *struct {
			Salt struct {
				Specified string `xml:"Specified"`
			} `xml:"Salt"`
			IterationCount string `xml:"IterationCount"`
			KeyLength      string `xml:"KeyLength"`
			PRF            *struct {
				Algorithm string `xml:"Algorithm,attr"`
			} `xml:"PRF"`
		} `xml:"PBKDF2-params"`
	} `xml:"KeyDerivationMethod"`
	MasterKeyName string `xml:"MasterKeyName"`
}

type pskcMACMethod struct {
	Algorithm string        `xml:"Algorithm,attr"`
	MACKey    *pskcEncValue `xml:"MACKey"`
}

type pskcEncValue struct {
	Method struct {
		Algorithm string `xml:"Algorithm,attr"`
	} `xml:"EncryptionMethod"`
	CipherValue string `xml:"CipherData>CipherValue"`
}

type pskcPackage struct {
	DeviceInfo struct {
		Manufacturer string `xml:"Manufacturer"`
		SerialNo     string `xml:"SerialNo"`
		Model        string `xml:"Model"`
		UserID       string `xml:"UserId"`
	} `xml:"DeviceInfo"`
	Key *pskcKey `xml:"Key"`
}

type pskcKey struct {
	ID        string `xml:"Id,attr"`
	Algorithm string `xml:"Algorithm,attr"`
	Issuer    string `xml:"Issuer"`
	UserID    string `xml:"UserId"`
	Params    struct {
		Suite          string `xml:"Suite"`
		ResponseFormat *struct {
			Length   string `xml:"Length,attr"`
			Encoding string `xml:"Encoding,attr"`
		} `xml:"ResponseFormat"`
	} `xml:"AlgorithmParameters"`
	Data struct {
		Secret       *pskcValue `xml:"Secret"`
		Counter      *pskcValue `xml:"Counter"`
		Time         *pskcValue `xml:"Time"`
		TimeInterval *pskcValue `xml:"TimeInterval"`
	} `xml:"Data"`
}

type pskcValue struct {
	Plain     *string       `xml:"PlainValue"`
	Encrypted *pskcEncValue `xml:"EncryptedValue"`
	MAC       string        `xml:"ValueMAC"`
}
