/**
 * Author names for the benchmark corpora, shaped like real ML author lists: given names and
 * surnames from several languages (accents and other scripts included), surnames drawn with a
 * Zipf-like skew for a quarter of the draws (so the most common, Wang, is about 4% of author
 * slots and on about a quarter of the papers, as common surnames are on real ones). Deterministic.
 */
const GIVEN =
  "Wei Jing Yu Xin Hao Jun Lei Yang Chen Ming Hui Ying Tao Bo Kai Lin Yi Fan Rui Qiang Ahmed Ali Fatima Omar Priya Rahul Anil Deepak Sanjay Kavya Ananya Arjun Hiroshi Yuki Takeshi Haruto Sakura Kenji Min-jun Ji-woo Seo-yeon Hyun Anna Maria Elena Sofia Laura Julia Clara Marta Eva Ines Lucas Hugo Louis Jules Pierre Sébastien François Étienne Zoë Noël Jürgen Günter Jörg Björn Søren Åsa Lars Erik Ola Nils Łukasz Paweł Michał Zofia Agnieszka Jiří Tomáš Ondřej Dávid Zoltán Ahmet Mehmet Ayşe Üstün Çağlar Ivan Dmitry Olga Sergey Natalia José Manuel Nuño Iñaki Joaquín Ana João Thiago Luís Giulia Marco Luca Matteo Chiara Davide Ruslan Aisha Kwame Chidi Ngozi Tunde Ama Daniel David Michael Sarah Emily James John Robert Jennifer Lisa Kevin Thomas Richard Alexander Noam Yonatan Tal Shira Ilya Oriol Alec Percy Diederik Geoffrey Yoshua Yann Fei-Fei Andrej Chelsea Sergey Pieter Jan Hanna Lena Mia Emma Olivia Noah Liam Ethan Mason Logan".split(
    " ",
  );
const SURNAMES =
  "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo Zheng Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng Wei Su Lü Ding Ren Shen Yao Lu Jiang Cui Zhong Tan Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Singh Kumar Sharma Gupta Patel Reddy Iyer Nair Das Bose Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Dubois Durand Lefèvre Moreau Laurent Girard Bernard Rossi Russo Ferrari Esposito Bianchi Romano Kowalski Nowak Wiśniewski Wójcik Kamiński Novák Svoboda Dvořák Nagy Kovács Tóth Yılmaz Kaya Demir Şahin Çelik Ivanov Smirnov Kuznetsov Popov Sokolov Silva Santos Oliveira Souza Pereira Fernández Sánchez Pérez Gómez Díaz Jensen Nielsen Hansen Andersen Larsen Johansson Karlsson Nilsson Eriksson Virtanen Korhonen Cohen Levi Mizrahi Okafor Mensah Adeyemi Hinton Bengio LeCun Karpathy Sutskever Finn Abbeel Levine Kingma Radford Vaswani Shazeer Dean Le Ng Goodfellow Hassabis Silver Hutter Schmidhuber Tegmark Bubeck Hauberg Kaiser Üstün Miladinović".split(
    " ",
  );

/** The pool of `size` distinct people, the same for the same size. */
export function authorPool(size: number, rand: () => number): string[] {
  const names = new Set<string>();
  while (names.size < size) {
    // A quarter Zipf-like (surname k with weight about 1 / (k + 1)), the rest uniform.
    const k =
      rand() < 0.25
        ? Math.floor(SURNAMES.length ** rand()) - 1
        : Math.floor(rand() * SURNAMES.length);
    const given = GIVEN[Math.floor(rand() * GIVEN.length)] as string;
    const initial = rand() < 0.2 ? ` ${String.fromCharCode(65 + Math.floor(rand() * 26))}.` : "";
    const name = `${given}${initial} ${SURNAMES[Math.max(0, k)]}`;
    names.add(names.has(name) ? `${name} ${names.size}` : name);
  }
  return [...names];
}
