//! The mail a visitor gets when a teammate replied after they left: the replies they missed,
//! gathered, in the conversation's language, with a link back into the chat.

use crate::mail::{Composed, escape};
use crate::texts::primary;

/// What a visitor who left has missed.
pub struct Missed<'a> {
    /// The site's chat title, naming who writes.
    pub site_title: &'a str,
    /// Who replied, oldest first, with what they wrote.
    pub replies: &'a [(String, String)],
    /// Opens the conversation again, on any device (the deployment's chat page).
    pub link: &'a str,
    /// Stops these mails about this conversation.
    pub stop: Option<&'a str>,
    /// The conversation's language (a tag: `pt-BR` reads as `pt`).
    pub language: Option<&'a str>,
}

/// The wording, per language the widget speaks.
struct Words {
    code: &'static str,
    /// `{site}`.
    subject: &'static str,
    /// `{site}`: above the replies.
    intro: &'static str,
    open: &'static str,
    /// Why this reached them, and that it will not happen again unless they leave again.
    why: &'static str,
    stop: &'static str,
}

const WORDS: [Words; 12] = [
    Words {
        code: "en",
        subject: "New reply in your chat with {site}",
        intro: "You left the chat before the team's reply arrived. Here it is:",
        open: "Continue the chat",
        why: "You get this because you gave this address in the chat, so the team could reply if you left. Just reply in the chat: this address takes no mail.",
        stop: "Stop emails about this chat",
    },
    Words {
        code: "es",
        subject: "Nueva respuesta en tu chat con {site}",
        intro: "Saliste del chat antes de que llegara la respuesta del equipo. Aquí la tienes:",
        open: "Continuar el chat",
        why: "Recibes esto porque diste esta dirección en el chat para que el equipo pudiera responderte si te ibas. Responde en el chat: esta dirección no recibe correo.",
        stop: "No recibir más correos sobre este chat",
    },
    Words {
        code: "fr",
        subject: "Nouvelle réponse dans votre discussion avec {site}",
        intro: "Vous avez quitté la discussion avant la réponse de l'équipe. La voici :",
        open: "Reprendre la discussion",
        why: "Vous recevez ceci car vous avez donné cette adresse dans la discussion, pour que l'équipe puisse vous répondre si vous partiez. Répondez dans la discussion : cette adresse ne reçoit pas de courrier.",
        stop: "Ne plus recevoir d'e-mails sur cette discussion",
    },
    Words {
        code: "de",
        subject: "Neue Antwort in Ihrem Chat mit {site}",
        intro: "Sie haben den Chat verlassen, bevor die Antwort des Teams kam. Hier ist sie:",
        open: "Chat fortsetzen",
        why: "Sie erhalten diese E-Mail, weil Sie diese Adresse im Chat angegeben haben, damit das Team Ihnen antworten kann, falls Sie gehen. Antworten Sie bitte im Chat: An diese Adresse gesendete E-Mails kommen nicht an.",
        stop: "Keine E-Mails mehr zu diesem Chat",
    },
    Words {
        code: "pt",
        subject: "Nova resposta na sua conversa com {site}",
        intro: "Você saiu da conversa antes de a resposta da equipe chegar. Aqui está:",
        open: "Continuar a conversa",
        why: "Você recebe isto porque deu este endereço na conversa, para que a equipe pudesse responder se você saísse. Responda na conversa: este endereço não recebe e-mails.",
        stop: "Parar e-mails sobre esta conversa",
    },
    Words {
        code: "it",
        subject: "Nuova risposta nella tua chat con {site}",
        intro: "Hai lasciato la chat prima che arrivasse la risposta del team. Eccola:",
        open: "Continua la chat",
        why: "Ricevi questo messaggio perché hai lasciato questo indirizzo nella chat, così il team poteva risponderti se te ne andavi. Rispondi nella chat: questo indirizzo non riceve posta.",
        stop: "Non ricevere più email su questa chat",
    },
    Words {
        code: "nl",
        subject: "Nieuw antwoord in je chat met {site}",
        intro: "Je verliet de chat voordat het antwoord van het team binnenkwam. Hier is het:",
        open: "Verder chatten",
        why: "Je krijgt dit omdat je dit adres in de chat gaf, zodat het team kon antwoorden als je wegging. Antwoord in de chat: dit adres ontvangt geen e-mail.",
        stop: "Geen e-mails meer over deze chat",
    },
    Words {
        code: "pl",
        subject: "Nowa odpowiedź w czacie z {site}",
        intro: "Opuściłeś czat, zanim nadeszła odpowiedź zespołu. Oto ona:",
        open: "Kontynuuj czat",
        why: "Otrzymujesz tę wiadomość, ponieważ podałeś ten adres na czacie, aby zespół mógł odpowiedzieć, gdybyś wyszedł. Odpowiedz na czacie: ten adres nie odbiera poczty.",
        stop: "Nie wysyłaj więcej e-maili o tym czacie",
    },
    Words {
        code: "tr",
        subject: "{site} ile sohbetinizde yeni yanıt",
        intro: "Ekibin yanıtı gelmeden sohbetten ayrıldınız. İşte yanıt:",
        open: "Sohbete devam et",
        why: "Bunu, ayrılırsanız ekip size yanıt verebilsin diye sohbette bu adresi verdiğiniz için alıyorsunuz. Lütfen sohbette yanıt verin: bu adres e-posta almaz.",
        stop: "Bu sohbetle ilgili e-postaları durdur",
    },
    Words {
        code: "ja",
        subject: "{site} とのチャットに新しい返信があります",
        intro: "チームの返信が届く前にチャットを離れられました。返信はこちらです:",
        open: "チャットを続ける",
        why: "チャットを離れてもチームが返信できるよう、このアドレスをチャットで入力されたため、このメールをお送りしています。返信はチャットでお願いします。このアドレスはメールを受け付けません。",
        stop: "このチャットに関するメールを停止する",
    },
    Words {
        code: "zh",
        subject: "您与 {site} 的聊天有新回复",
        intro: "您在团队回复之前离开了聊天。回复如下:",
        open: "继续聊天",
        why: "您收到此邮件，是因为您在聊天中留下了这个地址，以便您离开后团队仍能回复。请在聊天中回复：此地址不接收邮件。",
        stop: "停止接收关于此聊天的邮件",
    },
    Words {
        code: "ar",
        subject: "رد جديد في محادثتك مع {site}",
        intro: "غادرت المحادثة قبل وصول رد الفريق. إليك الرد:",
        open: "متابعة المحادثة",
        why: "تصلك هذه الرسالة لأنك أعطيت هذا العنوان في المحادثة ليتمكن الفريق من الرد عليك إن غادرت. يرجى الرد في المحادثة: هذا العنوان لا يستقبل البريد.",
        stop: "إيقاف رسائل البريد حول هذه المحادثة",
    },
];

fn words(language: Option<&str>) -> &'static Words {
    let code = language.map(primary).unwrap_or_default();
    WORDS.iter().find(|w| w.code == code).unwrap_or(&WORDS[0])
}

/// Characters of one reply quoted in the mail; the rest is in the chat.
const REPLY_CHARS: usize = 2000;

pub fn compose(m: &Missed) -> Composed {
    let w = words(m.language);
    let site = flat(m.site_title, 80);
    let subject = w.subject.replace("{site}", &site);
    let rtl = w.code == "ar";
    let mut text = format!("{}\n\n", w.intro);
    let mut html = format!(
        "<!doctype html><html lang=\"{}\" dir=\"{}\"><body style=\"font-family:system-ui,\
         sans-serif;color:#111827;max-width:640px\"><p>{}</p>",
        w.code,
        if rtl { "rtl" } else { "ltr" },
        escape(w.intro)
    );
    for (who, said) in m.replies {
        let who = flat(who, 60);
        let said = cut(said, REPLY_CHARS);
        text.push_str(&format!("{who}:\n{said}\n\n"));
        html.push_str(&format!(
            "<div style=\"border-inline-start:3px solid #0f766e;padding:4px 12px;margin:12px 0\">\
             <p style=\"margin:0 0 4px;color:#4b5563;font-size:14px\">{}</p>\
             <p style=\"margin:0;white-space:pre-wrap\">{}</p></div>",
            escape(&who),
            escape(&said)
        ));
    }
    text.push_str(&format!("{}: {}\n\n--\n{}\n", w.open, m.link, w.why));
    html.push_str(&format!(
        "<p style=\"margin:16px 0\"><a href=\"{}\" style=\"background:#0f766e;color:#ffffff;\
         padding:8px 14px;border-radius:6px;text-decoration:none;display:inline-block\">{}</a>\
         </p><hr style=\"border:0;border-top:1px solid #e5e7eb\"><p style=\"color:#4b5563;\
         font-size:13px\">{}",
        escape(m.link),
        escape(w.open),
        escape(w.why)
    ));
    if let Some(stop) = m.stop {
        text.push_str(&format!("{}: {stop}\n", w.stop));
        html.push_str(&format!(" <a href=\"{}\">{}</a>", escape(stop), escape(w.stop)));
    }
    html.push_str("</p></body></html>");
    Composed { subject, text, html }
}

/// One line: no controls, no runs of spaces, at most `max` characters.
fn flat(s: &str, max: usize) -> String {
    let spaced: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    cut(&spaced.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

/// At most `max` characters, an ellipsis marking a cut. Line breaks stay: a reply keeps its
/// paragraphs.
fn cut(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missed<'a>(replies: &'a [(String, String)], language: Option<&'a str>) -> Composed {
        compose(&Missed {
            site_title: "Acme\r\nBcc: x@evil",
            replies,
            link: "https://chat.example/chat/acme#resume=a.b.c",
            stop: Some("https://chat.example/api/unsubscribe?conversation=c&token=t"),
            language,
        })
    }

    #[test]
    fn speaks_the_conversation_language_and_falls_back_to_english() {
        let replies = [("Dana".to_owned(), "Hola".to_owned())];
        assert!(missed(&replies, Some("es-MX")).subject.starts_with("Nueva respuesta"));
        assert!(missed(&replies, Some("ar")).html.contains("dir=\"rtl\""));
        assert!(missed(&replies, Some("xx")).subject.starts_with("New reply"));
        assert!(missed(&replies, None).text.contains("Continue the chat: https://"));
    }

    #[test]
    fn visitor_and_team_words_cannot_break_out() {
        let replies = [("<b>Dana</b>".to_owned(), "<script>x</script>\nline two".to_owned())];
        let mail = missed(&replies, None);
        // The title's line break cannot add a header.
        assert_eq!(mail.subject, "New reply in your chat with Acme Bcc: x@evil");
        assert!(!mail.html.contains("<script>") && !mail.html.contains("<b>Dana"));
        assert!(mail.text.contains("<script>x</script>\nline two"));
    }

    #[test]
    fn long_replies_are_cut_with_a_mark() {
        let replies = [("Dana".to_owned(), "a".repeat(5000))];
        let mail = missed(&replies, None);
        assert!(mail.text.contains(&format!("{}…", "a".repeat(REPLY_CHARS - 1))));
        assert!(!mail.text.contains(&"a".repeat(REPLY_CHARS)));
    }
}
