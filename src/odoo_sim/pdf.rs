//! A small, valid PDF 1.4 document (one A4 page of Helvetica text) with a correct cross-reference
//! table, served for invoices at the portal URL Odoo's `get_portal_url(report_type="pdf")` returns
//! (Odoo renders `account.report_invoice` with wkhtmltopdf; the simulator only needs a real PDF).

/// Escapes text for a PDF literal string (ASCII only; other characters become `?`).
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '(' | ')' | '\\' => format!("\\{c}"),
            c if c.is_ascii() && !c.is_ascii_control() => c.to_string(),
            _ => "?".into(),
        })
        .collect()
}

/// Builds a PDF whose page shows `lines` top to bottom. Output starts with `%PDF-1.4` and ends
/// with `%%EOF\n`; every object offset in the xref table is exact.
pub fn render(title: &str, lines: &[String]) -> Vec<u8> {
    let mut content = String::from("BT\n/F1 16 Tf\n50 790 Td\n");
    content.push_str(&format!("({}) Tj\n/F1 10 Tf\n", escape(title)));
    for l in lines {
        content.push_str(&format!("0 -16 Td\n({}) Tj\n", escape(l)));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        format!("<< /Length {} >>\nstream\n{}endstream", content.len(), content),
        format!("<< /Title ({}) /Producer (odoo-sim) >>", escape(title)),
    ];
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = vec![];
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{}\nendobj\n", i + 1, o).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xref_offsets_point_at_objects() {
        let pdf = render(
            "INV/2026/00001",
            &["Total: 113.00 CAD".into(), "a (b) \\ c".into()],
        );
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf).to_string();
        let sx: usize = text
            .split("startxref\n")
            .nth(1)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(&pdf[sx..sx + 4], b"xref");
        let table = &text[text.find("xref\n0 7\n").unwrap()..];
        for (i, line) in table.lines().skip(3).take(6).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            assert!(pdf[off..].starts_with(format!("{} 0 obj", i + 1).as_bytes()));
        }
    }
}
